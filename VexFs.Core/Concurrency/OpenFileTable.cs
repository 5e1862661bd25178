using VexFs.Format;

namespace VexFs.Core.Concurrency;

/// <summary>
/// The files open through streams, with how they are shared: an open is refused when an earlier one does not
/// share the access it asks for, or when it does not share the access an earlier one has. Thread-safe.
/// </summary>
internal sealed class OpenFileTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Opens> _files = [];
    private int _handles;

    /// <summary>Opens not yet closed (streams and kernel file handles), of all files.</summary>
    public int Handles => Volatile.Read(ref _handles);

    /// <summary>Records an open of <paramref name="inode"/>.</summary>
    /// <exception cref="IOException">The file is open in a way that does not allow this open.</exception>
    public void Open(long inode, FileAccess access, FileShare share)
    {
        lock (_lock)
        {
            var opens = _files.GetValueOrDefault(inode) ?? new Opens();
            Check(inode, opens, access, share);
            bool reads = access.HasFlag(FileAccess.Read);
            bool writes = access.HasFlag(FileAccess.Write);
            opens.Count++;
            _handles++;
            opens.Readers += reads ? 1 : 0;
            opens.Writers += writes ? 1 : 0;
            opens.DenyRead += share.HasFlag(FileShare.Read) ? 0 : 1;
            opens.DenyWrite += share.HasFlag(FileShare.Write) ? 0 : 1;
            _files[inode] = opens;
        }
    }

    /// <summary>Throws when an open of <paramref name="inode"/> would be refused now.</summary>
    public void Check(long inode, FileAccess access, FileShare share)
    {
        lock (_lock)
        {
            if (_files.TryGetValue(inode, out var opens))
            {
                Check(inode, opens, access, share);
            }
        }
    }

    /// <summary>Records a close; returns whether it was the last open of <paramref name="inode"/>.</summary>
    public bool Close(long inode, FileAccess access, FileShare share)
    {
        lock (_lock)
        {
            if (!_files.TryGetValue(inode, out var opens))
            {
                return false;
            }

            opens.Count--;
            _handles--;
            opens.Readers -= access.HasFlag(FileAccess.Read) ? 1 : 0;
            opens.Writers -= access.HasFlag(FileAccess.Write) ? 1 : 0;
            opens.DenyRead -= share.HasFlag(FileShare.Read) ? 0 : 1;
            opens.DenyWrite -= share.HasFlag(FileShare.Write) ? 0 : 1;
            if (opens.Count > 0)
            {
                return false;
            }

            _files.Remove(inode);
            return true;
        }
    }

    public bool IsOpen(long inode)
    {
        lock (_lock)
        {
            return _files.ContainsKey(inode);
        }
    }

    /// <summary>Forgets every open (the filesystem is closing).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _files.Clear();
            _handles = 0;
        }
    }

    private static void Check(long inode, Opens opens, FileAccess access, FileShare share)
    {
        if ((access.HasFlag(FileAccess.Read) && opens.DenyRead > 0) || (access.HasFlag(FileAccess.Write) && opens.DenyWrite > 0)
            || (!share.HasFlag(FileShare.Read) && opens.Readers > 0) || (!share.HasFlag(FileShare.Write) && opens.Writers > 0))
        {
            throw new VexFsException(VexErrorKind.Busy, $"Inode {inode} is open by another stream that does not share {access} access, or that this open ({share}) does not share with.");
        }
    }

    private sealed class Opens
    {
        public int Count { get; set; }

        public int Readers { get; set; }

        public int Writers { get; set; }

        public int DenyRead { get; set; }

        public int DenyWrite { get; set; }
    }
}
