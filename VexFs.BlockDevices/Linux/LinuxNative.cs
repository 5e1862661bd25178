using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VexFs.BlockDevices.Linux;

/// <summary>The few libc calls the file-backed devices need that <see cref="RandomAccess"/> does not offer.</summary>
internal static unsafe partial class LinuxNative
{
    public const int ORdOnly = 0x0;
    public const int ORdWr = 0x2;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloExec = 0x80000;

    public const int LockSh = 1;
    public const int LockEx = 2;
    public const int LockNb = 4;
    public const int LockUn = 8;

    public const int FallocKeepSize = 0x1;
    public const int FallocPunchHole = 0x2;

    public const int AtFdCwd = -100;
    public const int AtEmptyPath = 0x1000;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxBasicStats = 0x7FF;
    public const uint StatxDioAlign = 0x2000;

    // Block-device ioctls from linux/fs.h.
    public const ulong BlkRoGet = 0x125E;
    public const ulong BlkGetSize64 = 0x80081272;
    public const ulong BlkSszGet = 0x1268;
    public const ulong BlkPbszGet = 0x127B;
    public const ulong BlkDiscard = 0x1277;

    public const int Eintr = 4;
    public const int Eagain = 11;
    public const int Eacces = 13;
    public const int Ebusy = 16;
    public const int Enoent = 2;
    public const int Efbig = 27;
    public const int Enospc = 28;
    public const int Erofs = 30;
    public const int Eopnotsupp = 95;
    public const int Einval = 22;
    public const int Enotty = 25;
    public const int Enosys = 38;

    /// <summary>O_DIRECT, whose value differs between architectures.</summary>
    public static int ODirect => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ListXattrs(string path, byte* names, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint GetXattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeFileHandle fd, ulong request, void* argument);

    /// <summary>A system call that glibc does not wrap, by number (integer arguments only).</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(long number, nint a, nint b, nint c, nint d, nint e);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(SafeFileHandle fd, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int Fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(SafeFileHandle dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>Opens <paramref name="path"/> and wraps the descriptor, or throws the errno as an exception.</summary>
    public static SafeFileHandle OpenHandle(string path, int flags, int mode, string what)
    {
        int fd;
        do
        {
            fd = Open(path, flags | OCloExec, mode);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Eintr);

        if (fd < 0)
        {
            throw ErrnoException(Marshal.GetLastPInvokeError(), $"Cannot open {what} '{path}'");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Passes a result through, or throws the errno of a call that returned -1.</summary>
    public static int Check(int result, string what)
    {
        if (result < 0)
        {
            throw ErrnoException(Marshal.GetLastPInvokeError(), what);
        }

        return result;
    }

    /// <summary>Turns an errno into the exception the rest of VexFS expects.</summary>
    public static IOException ErrnoException(int errno, string what)
    {
        string message = $"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).";
        return errno switch
        {
            Ebusy or Eagain => new DeviceBusyException(message),
            Enospc => new DiskFullException(message),
            Enoent => new FileNotFoundException(message),
            Eacces or Erofs => new UnauthorizedIOException(message, errno),
            _ => new IOException(message, errno),
        };
    }
}
