using MountVexfs.Fuse;
using VexFs.Core;

namespace MountVexfs.Host;

/// <summary>
/// The FUSE requests served on a <see cref="VexFileSystem"/> through its inode-number interface. Node ids are
/// inode numbers, but for the root, which the kernel calls 1. Nothing is kept per node: a lookup count has
/// nothing to pin, and a file unlinked while open lives on through the stream its handle holds. Permission
/// checks are the kernel's (the mount always has default_permissions); the caller's uid and gid own what it
/// creates. Thread-safe: the workers call <see cref="Handle"/> in parallel.
/// </summary>
internal sealed partial class VexFuseOperations(VexFileSystem fileSystem)
{
    /// <summary>What <see cref="Handle"/> returns for a request that gets no reply (FORGET, INTERRUPT).</summary>
    public const int NoReply = -1;

    private readonly VexFileSystem _fs = fileSystem;
    private readonly int _blockSize = fileSystem.GetSpaceInfo().BlockSize;
    private readonly OpenFiles _files = new();
    private readonly OpenDirectories _directories = new();

    /// <summary>Serves one request into <paramref name="reply"/>; returns 0, an errno, or <see cref="NoReply"/>.</summary>
    /// <exception cref="Exception">A refusal or failure of the filesystem, mapped to its errno by the caller.</exception>
    public int Handle(FuseRequest request, Reply reply)
    {
        var args = new ArgumentReader(request.Arguments);
        return request.Opcode switch
        {
            Opcode.Lookup => Lookup(request, ref args, reply),
            Opcode.Forget or Opcode.BatchForget or Opcode.Interrupt => NoReply,
            Opcode.GetAttr => GetAttr(request, reply),
            Opcode.SetAttr => SetAttr(request, ref args, reply),
            Opcode.ReadLink => ReadLink(request, reply),
            Opcode.Symlink => Symlink(request, ref args, reply),
            Opcode.MkNod => MakeNode(request, ref args, reply),
            Opcode.MkDir => MakeDirectory(request, ref args, reply),
            Opcode.Unlink => Unlink(request, ref args),
            Opcode.RmDir => RemoveDirectory(request, ref args),
            Opcode.Rename => Rename(request, ref args, withFlags: false),
            Opcode.Rename2 => Rename(request, ref args, withFlags: true),
            Opcode.Link => Link(request, ref args, reply),
            Opcode.Open => Open(request, ref args, reply),
            Opcode.Create => Create(request, ref args, reply),
            Opcode.Read => Read(ref args, reply),
            Opcode.Write => Write(request, ref args, reply),
            Opcode.Release => Release(ref args),
            Opcode.Flush => 0,
            Opcode.Fsync or Opcode.FsyncDir or Opcode.SyncFs => Sync(),
            Opcode.Fallocate => Allocate(ref args),
            Opcode.Lseek => Seek(ref args, reply),
            Opcode.CopyFileRange => CopyRange(ref args, reply),
            Opcode.OpenDir => OpenDirectory(request, reply),
            Opcode.ReadDir => ReadDirectory(request, ref args, reply, plus: false),
            Opcode.ReadDirPlus => ReadDirectory(request, ref args, reply, plus: true),
            Opcode.ReleaseDir => ReleaseDirectory(ref args),
            Opcode.StatFs => StatFs(reply),
            Opcode.Access => Access(request, ref args),
            Opcode.SetXattr => SetXattr(request, ref args),
            Opcode.GetXattr => GetXattr(request, ref args, reply),
            Opcode.ListXattr => ListXattrs(request, ref args, reply),
            Opcode.RemoveXattr => RemoveXattr(request, ref args),
            Opcode.Ioctl => Ioctl(request, ref args, reply),
            Opcode.Destroy => Destroy(),
            _ => Errno.Enosys,
        };
    }

    /// <summary>Closes every handle still open (the filesystem is being unmounted).</summary>
    public void CloseAll() => _files.CloseAll();

    /// <summary>
    /// Tells the kernel that a node's attributes changed without a request that returns them (a write that
    /// dropped set-user-id); null when nothing listens (tests).
    /// </summary>
    public Action<ulong>? AttributesChanged { get; set; }

    private long InodeOf(ulong nodeId) => nodeId == Wire.RootNodeId ? _fs.RootInode : checked((long)nodeId);

    private ulong NodeOf(long inode) => inode == _fs.RootInode ? Wire.RootNodeId : (ulong)inode;

    private long InodeOf(FuseRequest request) => InodeOf(request.NodeId);

    private int Entry(VexFileInfo info, Reply reply)
    {
        WriteEntry(reply.Append(Wire.EntryOutSize), info);
        return 0;
    }

    /// <summary>
    /// A fuse_entry_out. An inode number is used again once its file is freed; the generation, the file's birth
    /// time, tells the kernel that a node it still remembers under that number is another file.
    /// </summary>
    private void WriteEntry(Span<byte> record, VexFileInfo info) =>
        Wire.WriteEntry(record, NodeOf(info.Inode), (ulong)info.CreatedTime.UtcTicks, info, _blockSize);

    private int Destroy()
    {
        CloseAll();
        _fs.Flush();
        return 0;
    }

    private int Sync()
    {
        _fs.Flush();
        return 0;
    }
}
