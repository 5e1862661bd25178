using System.Collections.Concurrent;
using VexFs.Core;
using VexFs.Format;

namespace MountVexfs.Host;

/// <summary>
/// The kernel's file handles: each is a stream of the filesystem, which keeps its file alive after its last
/// name is removed, until RELEASE closes it. Thread-safe.
/// </summary>
internal sealed class OpenFiles
{
    private readonly ConcurrentDictionary<ulong, VexFileStream> _streams = new();
    private long _last;

    /// <summary>Keeps <paramref name="stream"/> under a new handle.</summary>
    public ulong Add(VexFileStream stream)
    {
        ulong handle = (ulong)Interlocked.Increment(ref _last);
        _streams[handle] = stream;
        return handle;
    }

    /// <summary>The inode of handle <paramref name="handle"/>.</summary>
    /// <exception cref="VexFsException">No such handle is open (EBADF).</exception>
    public long InodeOf(ulong handle) => _streams.TryGetValue(handle, out var stream)
        ? stream.Inode
        : throw new VexFsException(VexErrorKind.BadHandle, $"File handle {handle} is not open.");

    /// <summary>Whether handle <paramref name="handle"/> was opened for writing.</summary>
    /// <exception cref="VexFsException">No such handle is open (EBADF).</exception>
    public bool CanWrite(ulong handle) => _streams.TryGetValue(handle, out var stream)
        ? stream.CanWrite
        : throw new VexFsException(VexErrorKind.BadHandle, $"File handle {handle} is not open.");

    /// <summary>Closes handle <paramref name="handle"/>; the last close of an unlinked file frees it.</summary>
    public void Close(ulong handle)
    {
        if (_streams.TryRemove(handle, out var stream))
        {
            stream.Dispose();
        }
    }

    public void CloseAll()
    {
        foreach (ulong handle in _streams.Keys)
        {
            Close(handle);
        }
    }
}
