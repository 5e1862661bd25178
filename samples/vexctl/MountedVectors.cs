using System.Buffers.Binary;
using System.Runtime.InteropServices;
using VexFs.Core;
using VexFs.Samples;

namespace VexCtl;

/// <summary>
/// Vectors of files on a mounted VexFS, for when the device is busy with its host: set, get and remove through
/// the extended attributes <c>user.vexfs.SPACE</c>, search through the search ioctl (<see cref="VectorIoctl"/>).
/// </summary>
internal static partial class MountedVectors
{
    private const string FuseType = "fuse.vexfs";
    private const int Enodata = 61;
    private const int OReadOnly = 0;
    private const int ODirectory = 0x10000;
    private const int OCloExec = 0x80000;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxIno = 0x100;

    /// <summary>Whether <paramref name="path"/> is on a mounted VexFS (its mount's type in /proc/self/mountinfo).</summary>
    public static bool IsMounted(string path)
    {
        string full = Path.GetFullPath(path);
        var mount = MountTable.Entries()
            .Where(m => full == m.MountPoint || full.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(m => m.MountPoint.Length);
        return mount.Type == FuseType;
    }

    public static void Set(string path, string space, ReadOnlySpan<float> vector)
    {
        var value = new byte[vector.Length * sizeof(float)];
        VectorIoctl.WriteFloats(value, vector);
        Check(SetXattr(path, VexFileSystem.VectorXattrPrefix + space, value, (nuint)value.Length, 0), path, space);
    }

    public static float[] Get(string path, string space)
    {
        string name = VexFileSystem.VectorXattrPrefix + space;
        nint size = GetXattr(path, name, null, 0);
        Check((int)Math.Min(size, 0), path, space);
        var value = new byte[size];
        size = GetXattr(path, name, value, (nuint)value.Length);
        Check((int)Math.Min(size, 0), path, space);
        return VectorIoctl.ReadFloats(value, (int)size / sizeof(float));
    }

    public static void Remove(string path, string space) =>
        Check(RemoveXattr(path, VexFileSystem.VectorXattrPrefix + space), path, space);

    /// <summary>
    /// The <paramref name="k"/> nearest files to <paramref name="query"/> in <paramref name="directory"/>, as the
    /// search ioctl answers them page by page (a long query staged first), named by a walk of the directory.
    /// </summary>
    public static IReadOnlyList<VexSearchHit> Search(string directory, string space, float[] query, int k, VexSearchOptions options)
    {
        var found = SearchInodes(directory, space, query, k, options);
        var paths = PathsOf(directory, options.Subtree, [.. found.Select(h => h.Inode)]);
        return [.. found.Select(h => new VexSearchHit(paths.GetValueOrDefault(h.Inode, string.Empty), h.Inode, h.Distance))];
    }

    /// <summary>
    /// The hits of a search as the ioctl answers them, inode numbers with distances, best first: the directory
    /// opened, the query staged when it is long, the pages of hits asked for in turn, the directory closed.
    /// </summary>
    public static List<(long Inode, float Distance)> SearchInodes(string directory, string space, float[] query, int k, VexSearchOptions options)
    {
        var found = new List<(long Inode, float Distance)>();
        OnDescriptor(directory, ODirectory, null, fd =>
        {
            var message = new byte[VectorIoctl.Size];
            uint flags = (options.Subtree ? SearchMessage.Subtree : 0) | (options.Exact ? SearchMessage.Exact : 0);
            if (query.Length > SearchMessage.QueryCapacity)
            {
                for (int first = 0; first < query.Length; first += VectorMessage.Capacity)
                {
                    var piece = query.AsSpan(first, Math.Min(VectorMessage.Capacity, query.Length - first)).ToArray();
                    new VectorMessage(space, query.Length, first, piece).WriteTo(message);
                    Check(Ioctl(fd, VectorIoctl.StageVector, message), directory, space);
                }

                flags |= SearchMessage.Staged;
            }

            while (true)
            {
                new SearchMessage(space, flags, k, options.Effort ?? 0, found.Count, (flags & SearchMessage.Staged) != 0 ? [] : query).WriteTo(message);
                Check(Ioctl(fd, VectorIoctl.Search, message), directory, space);
                var (total, hits) = SearchMessage.ReadHits(message);
                found.AddRange(hits);
                if (found.Count >= total || hits.Length == 0)
                {
                    return;
                }
            }
        });
        return found;
    }

    /// <summary>
    /// Opens <paramref name="path"/> to read (with <paramref name="flags"/> besides), runs <paramref name="call"/>
    /// on the descriptor and closes it; a refused open names <paramref name="space"/> when given.
    /// </summary>
    private static void OnDescriptor(string path, int flags, string? space, Action<int> call)
    {
        int fd = Open(path, OReadOnly | flags | OCloExec);
        Check(fd, path, space);
        try
        {
            call(fd);
        }
        finally
        {
            _ = Close(fd); // Opened to read: nothing to lose at close.
        }
    }

    /// <summary>A path of each of <paramref name="inodes"/> under <paramref name="directory"/>, found by walking it until all are named.</summary>
    private static Dictionary<long, string> PathsOf(string directory, bool subtree, HashSet<long> inodes)
    {
        var paths = new Dictionary<long, string>();
        var pending = new Queue<string>([directory]);
        while (pending.Count > 0 && paths.Count < inodes.Count)
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(pending.Dequeue()))
            {
                long inode = InodeOf(entry);
                if (inodes.Contains(inode))
                {
                    paths.TryAdd(inode, entry);
                }

                if (subtree && new FileInfo(entry) is { LinkTarget: null } info && info.Attributes.HasFlag(FileAttributes.Directory))
                {
                    pending.Enqueue(entry);
                }
            }
        }

        return paths;
    }

    private static long InodeOf(string path)
    {
        // struct statx: 0x20 u64 stx_ino (of 256 bytes).
        Span<byte> buffer = stackalloc byte[256];
        Check(Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxIno, ref MemoryMarshal.GetReference(buffer)), path, null);
        return (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[0x20..]);
    }

    /// <exception cref="KeyNotFoundException">The file has no vector in the space (ENODATA).</exception>
    /// <exception cref="IOException">Any other refusal, with the system's message.</exception>
    private static void Check(int result, string path, string? space)
    {
        if (result >= 0)
        {
            return;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == Enodata && space is not null)
        {
            throw new KeyNotFoundException($"'{path}' has no vector in '{space}'.");
        }

        throw new IOException($"'{path}'{(space is null ? string.Empty : $" (space '{space}')")}: {Marshal.GetPInvokeErrorMessage(errno)}.");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint command, byte[] message);

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetXattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetXattr(string path, string name, byte[]? value, nuint size);

    [LibraryImport("libc", EntryPoint = "removexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RemoveXattr(string path, string name);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, ref byte buffer);
}
