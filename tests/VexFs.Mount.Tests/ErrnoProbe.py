# Each line: a probe's label and the errno name it got ("ok" for success). Run in an empty directory.
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)


def probe(label, action):
    try:
        action()
        print(label, "ok")
    except OSError as e:
        print(label, errno.errorcode[e.errno])


def call(result):
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


os.mkdir("d")
with open("d/f", "w") as f:
    f.write("x")
with open("file", "w") as f:
    f.write("data")
os.mkdir("e")
os.symlink("loop1", "loop2")
os.symlink("loop2", "loop1")
os.setxattr("file", "user.a", b"value")

probe("open-missing", lambda: open("missing"))
probe("mkdir-exists", lambda: os.mkdir("d"))
probe("rmdir-nonempty", lambda: os.rmdir("d"))
probe("rmdir-file", lambda: os.rmdir("file"))
probe("unlink-dir", lambda: os.unlink("d"))
probe("open-dir-for-write", lambda: open("d", "w"))
probe("stat-below-file", lambda: os.stat("file/x"))
probe("name-too-long", lambda: open("n" * 256, "w"))
probe("symlink-loop", lambda: open("loop1"))
probe("rename-into-itself", lambda: os.rename("d", "d/sub"))
probe("rename-dir-over-file", lambda: os.rename("d", "file"))
probe("rename-file-over-dir", lambda: os.rename("file", "e"))
probe("rename-over-nonempty-dir", lambda: os.rename("e", "d"))
probe("hard-link-dir", lambda: os.link("d", "dlink"))
probe("readlink-of-file", lambda: os.readlink("file"))
probe("getxattr-missing", lambda: os.getxattr("file", "user.none"))
probe("setxattr-create-existing", lambda: os.setxattr("file", "user.a", b"1", os.XATTR_CREATE))
probe("setxattr-replace-missing", lambda: os.setxattr("file", "user.b", b"1", os.XATTR_REPLACE))
probe("getxattr-small-buffer", lambda: call(libc.getxattr(b"file", b"user.a", ctypes.create_string_buffer(1), ctypes.c_size_t(1))))
probe("renameat2-noreplace", lambda: call(libc.renameat2(-100, b"file", -100, b"d/f", 1)))
probe("renameat2-exchange-missing", lambda: call(libc.renameat2(-100, b"file", -100, b"missing", 2)))
probe("renameat2-exchange", lambda: call(libc.renameat2(-100, b"file", -100, b"d/f", 2)))
fd = os.open("d/f", os.O_RDWR)
probe("seek-data-past-end", lambda: os.lseek(fd, 100, os.SEEK_DATA))
probe("write-past-largest-file", lambda: os.pwrite(fd, b"x", 2**63 - 2))
probe("unlink-while-open", lambda: os.unlink("d/f"))
probe("write-after-unlink", lambda: os.pwrite(fd, b"kept", 0))
probe("read-after-unlink", lambda: None if os.pread(fd, 4, 0) == b"kept" else os.abort())
os.close(fd)
probe("rmdir-emptied", lambda: os.rmdir("d"))

# The data of a sparse file, as SEEK_DATA and SEEK_HOLE map it: written ranges, not the hole between them
# nor blocks preallocated and never written.
fd = os.open("sparse", os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"x" * 8192, 0)
os.pwrite(fd, b"y" * 100, 1 << 20)
os.posix_fallocate(fd, 2 << 20, 1 << 20)
os.ftruncate(fd, 4 << 20)
ranges, offset = [], 0
while True:
    try:
        start = os.lseek(fd, offset, os.SEEK_DATA)
    except OSError as e:
        ranges.append(errno.errorcode[e.errno])
        break
    offset = os.lseek(fd, start, os.SEEK_HOLE)
    ranges.append(f"{start}-{offset}")
print("seek-map", ",".join(ranges))
os.close(fd)
