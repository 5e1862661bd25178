using System.ComponentModel;
using System.Runtime.InteropServices;

namespace VexFs.Bench.FileSystem;

/// <summary>The few system calls the harness needs that .NET does not offer: fsync of a directory, rusage.</summary>
internal static partial class Native
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY
    private const int Children = -1; // RUSAGE_CHILDREN

    /// <summary>Makes a directory's entries durable, as fsync on the directory does.</summary>
    public static void SyncDirectory(string path)
    {
        int fd = Open(path, ReadOnlyDirectory);
        if (fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"open {path}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), $"fsync {path}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>The peak resident set of the largest child process waited for so far, in bytes.</summary>
    public static unsafe long ChildrenPeakRss()
    {
        // struct rusage: two struct timeval, then fourteen longs, ru_maxrss (KiB) first among them.
        long* usage = stackalloc long[18];
        return GetRusage(Children, usage) == 0 ? usage[4] * 1024 : 0;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static unsafe partial int GetRusage(int who, long* usage);
}
