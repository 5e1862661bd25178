# Vectors through the mount's ioctls, from a real process. Run in an empty directory on the mount whose spaces
# are "emb" (l2, 8) and "big" (l2, 4096). Prints one JSON object: each search with its query and the hits the
# ioctls answered (inode, distance), the brute-force ranking of the vectors this script set, and each probe's
# errno name ("ok" for success).
import errno, fcntl, json, os, random, struct

SIZE = 16376
CAPACITY = (SIZE - 0x58) // 4


def ioc(direction, number):
    return (direction << 30) | (SIZE << 16) | (0xB6 << 8) | number


GET, SET, REMOVE, STAGE, SEARCH = ioc(3, 1), ioc(1, 2), ioc(1, 3), ioc(1, 4), ioc(3, 5)


def vector_message(space, dimension=0, first=0, components=(), version=1):
    message = bytearray(SIZE)
    struct.pack_into("<II", message, 0, version, 0)
    name = space.encode()
    message[8:8 + len(name)] = name
    struct.pack_into("<IIII", message, 0x48, dimension, first, len(components), 0)
    struct.pack_into("<%df" % len(components), message, 0x58, *components)
    return message


def set_vector(path, space, vector):
    fd = os.open(path, os.O_WRONLY)
    try:
        fcntl.ioctl(fd, SET, vector_message(space, len(vector), 0, vector), True)
    finally:
        os.close(fd)


def get_vector(path, space):
    fd = os.open(path, os.O_RDONLY)
    try:
        components, first = [], 0
        while True:
            message = vector_message(space, 0, first)
            fcntl.ioctl(fd, GET, message, True)
            dimension, at, count = struct.unpack_from("<III", message, 0x48)
            components += struct.unpack_from("<%df" % count, message, 0x58)
            first += count
            if first >= dimension:
                return components
    finally:
        os.close(fd)


def search(directory, space, query, k, flags=0, ef=0):
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        staged = len(query) > (SIZE - 0x60) // 4
        if staged:
            for first in range(0, len(query), CAPACITY):
                piece = query[first:first + CAPACITY]
                fcntl.ioctl(fd, STAGE, vector_message(space, len(query), first, piece), True)
            flags |= 4
        hits, first = [], 0
        while True:
            message = bytearray(SIZE)
            struct.pack_into("<II", message, 0, 1, flags)
            message[8:8 + len(space)] = space.encode()
            inline = [] if staged else query
            struct.pack_into("<IIII", message, 0x48, k, ef, first, len(inline))
            struct.pack_into("<%df" % len(inline), message, 0x60, *inline)
            fcntl.ioctl(fd, SEARCH, message, True)
            total, count = struct.unpack_from("<II", message, 0x58)
            for i in range(count):
                inode, distance, _ = struct.unpack_from("<QfI", message, 0x60 + 16 * i)
                hits.append([inode, distance])
            first += count
            if first >= total or count == 0:
                return hits
    finally:
        os.close(fd)


errors = []


def probe(label, action):
    try:
        action()
        errors.append(label + " ok")
    except OSError as e:
        errors.append(label + " " + errno.errorcode[e.errno])


random.seed(13)
vectors = {}
os.makedirs("a/sub")
for i in range(1200):
    path = ("a/sub/f%d" if i % 3 == 0 else "a/f%d") % i
    with open(path, "w") as f:
        f.write("file %d\n" % i)
    vector = [struct.unpack("<f", struct.pack("<f", random.uniform(-1, 1)))[0] for _ in range(8)]
    set_vector(path, "emb", vector)
    vectors[path] = (os.stat(path).st_ino, vector)

# The vector set through the ioctl reads back the same through the ioctl and the extended attribute.
path, (inode, vector) = next(iter(vectors.items()))
assert get_vector(path, "emb") == vector, "get after set"
assert os.getxattr(path, "user.vexfs.emb") == struct.pack("<8f", *vector), "getxattr after set"

big = {}
for i in range(5):
    path = "a/big%d" % i
    open(path, "w").close()
    vector = [struct.unpack("<f", struct.pack("<f", random.uniform(-1, 1)))[0] for _ in range(4096)]
    os.setxattr(path, "user.vexfs.big", struct.pack("<4096f", *vector))
    big[path] = (os.stat(path).st_ino, vector)
assert get_vector("a/big3", "big") == big["a/big3"][1], "a long vector read in pieces"


def brute(candidates, query, k):
    ranked = sorted((sum((x - q) ** 2 for x, q in zip(p[1], query)), p[0]) for p in candidates.values())
    return [[inode, distance] for distance, inode in ranked[:k]]


searches = []
for directory, flags, k, ef in [("a", 1, 10, 0), ("a", 0, 7, 0), ("a/sub", 3, 25, 0), ("a", 3, 1100, 0), ("a", 1, 5, 200), (".", 3, 2000, 0)]:
    query = [struct.unpack("<f", struct.pack("<f", random.uniform(-1, 1)))[0] for _ in range(8)]
    scope = {p: v for p, v in vectors.items() if p.startswith(directory + "/") or directory == "."}
    if not flags & 1:
        scope = {p: v for p, v in scope.items() if "/" not in p[len(directory) + 1:]}
    searches.append({"directory": directory, "space": "emb", "flags": flags, "k": k, "ef": ef, "query": query,
                     "hits": search(directory, "emb", query, k, flags, ef), "brute": brute(scope, query, k)})
query = [struct.unpack("<f", struct.pack("<f", random.uniform(-1, 1)))[0] for _ in range(4096)]
searches.append({"directory": "a", "space": "big", "flags": 3, "k": 3, "ef": 0, "query": query,
                 "hits": search("a", "big", query, 3, 3), "brute": brute(big, query, 3)})

one = "x"
open(one, "w").close()
set_vector(one, "emb", [0.25] * 8)


def on(path, command, message, flags=os.O_RDONLY):
    fd = os.open(path, flags)
    try:
        fcntl.ioctl(fd, command, message, True)
    finally:
        os.close(fd)


unstaged = bytearray(SIZE)
struct.pack_into("<II", unstaged, 0, 1, 4)
unstaged[8:11] = b"big"
struct.pack_into("<I", unstaged, 0x48, 3)
probe("get-missing-space", lambda: get_vector(one, "nosuch"))
probe("get-none", lambda: get_vector("a/big0", "emb"))
probe("set-wrong-dimension", lambda: set_vector(one, "emb", [1.0, 2.0]))
probe("set-directory", lambda: on("a", SET, vector_message("emb", 8, 0, [0.0] * 8), os.O_RDONLY | os.O_DIRECTORY))
probe("set-read-only-descriptor", lambda: on(one, SET, vector_message("emb", 8, 0, [0.5] * 8)))
probe("other-version", lambda: on(one, GET, vector_message("emb", version=2)))
probe("search-a-file", lambda: on(one, SEARCH, unstaged))
probe("search-unstaged", lambda: on("a", SEARCH, unstaged, os.O_RDONLY | os.O_DIRECTORY))
probe("unknown-ioctl", lambda: on(one, ioc(3, 9), bytearray(SIZE)))
probe("remove", lambda: on(one, REMOVE, vector_message("emb"), os.O_WRONLY))
probe("remove-again", lambda: on(one, REMOVE, vector_message("emb"), os.O_WRONLY))
probe("get-removed", lambda: get_vector(one, "emb"))
print(json.dumps({"searches": searches, "errors": errors}))
