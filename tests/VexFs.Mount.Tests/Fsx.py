# fsx in the manner of the classic file-system exerciser: random writes, reads, truncates, extensions,
# preallocations, copy_file_range and mmap reads and writes on one file, every read checked against an
# in-memory model of what the file must hold. usage: python3 Fsx.py FILE OPERATIONS SEED
import mmap, os, random, sys

path, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
limit = 4 << 20
model = bytearray()
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
scratch = os.open(path + ".copy", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)


def fail(step, what):
    print(f"seed {seed} step {step}: {what}")
    sys.exit(1)


def check(step, offset, data):
    want = bytes(model[offset:offset + len(data)])
    if data != want:
        first = next(i for i in range(min(len(data), len(want)) + 1) if i >= min(len(data), len(want)) or data[i] != want[i])
        fail(step, f"read at {offset} of {len(data)} bytes differs from the model at byte {offset + first} (model holds {len(want)})")


for step in range(count):
    op = rng.choice(["write", "write", "read", "read", "truncate", "mapread", "mapwrite", "fallocate", "copy", "stat"])
    size = len(model)
    if op == "write":
        offset = rng.randrange(0, limit - 65536)
        data = rng.randbytes(rng.randrange(1, 65536))
        os.pwrite(fd, data, offset)
        if offset > size:
            model.extend(bytes(offset - size))
        model[offset:offset + len(data)] = data
    elif op == "read":
        offset = rng.randrange(0, size + 1024)
        check(step, offset, os.pread(fd, rng.randrange(1, 131072), offset))
    elif op == "truncate":
        length = rng.randrange(0, limit)
        os.ftruncate(fd, length)
        del model[length:]
        model.extend(bytes(length - len(model)))
    elif op in ("mapread", "mapwrite") and size > 0:
        with mmap.mmap(fd, size) as view:
            offset = rng.randrange(0, size)
            length = rng.randrange(1, min(65536, size - offset) + 1)
            if op == "mapread":
                check(step, offset, view[offset:offset + length])
            else:
                data = rng.randbytes(length)
                view[offset:offset + length] = data
                model[offset:offset + length] = data
                view.flush()
    elif op == "fallocate":
        offset = rng.randrange(0, limit - 65536)
        length = rng.randrange(1, 65536)
        os.posix_fallocate(fd, offset, length)
        if offset + length > size:
            model.extend(bytes(offset + length - size))
    elif op == "copy" and size > 0:
        # Copy a range out to another file and back to a random place, both through copy_file_range.
        offset = rng.randrange(0, size)
        length = rng.randrange(1, min(65536, size - offset) + 1)
        os.ftruncate(scratch, 0)
        done = 0
        while done < length:
            done += os.copy_file_range(fd, scratch, length - done, offset + done, done)
        target = rng.randrange(0, limit - 65536)
        done = 0
        while done < length:
            done += os.copy_file_range(scratch, fd, length - done, done, target + done)
        data = bytes(model[offset:offset + length])
        if target > len(model):
            model.extend(bytes(target - len(model)))
        model[target:target + length] = data
    elif op == "stat":
        if os.fstat(fd).st_size != len(model):
            fail(step, f"size {os.fstat(fd).st_size}, the model says {len(model)}")

os.fsync(fd)
check(count, 0, os.pread(fd, len(model) + 1, 0))
os.close(fd)
os.close(scratch)
with open(path, "rb") as f:
    check(count + 1, 0, f.read())
print(f"ok {count} operations, {len(model)} bytes")
