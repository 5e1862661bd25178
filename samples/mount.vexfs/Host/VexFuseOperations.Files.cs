using System.Buffers;
using System.Buffers.Binary;
using MountVexfs.Fuse;
using VexFs.Core;
using VexFs.Format;

namespace MountVexfs.Host;

/// <summary>Open files: open, create, read, write, release, fallocate, lseek, copy_file_range.</summary>
internal sealed partial class VexFuseOperations
{
    private const uint AccessModeMask = 3;
    private const uint OExcl = 0x80;
    private const uint FallocKeepSize = 0x1;
    private const uint SeekData = 3;
    private const uint SeekHole = 4;

    // fuse_write_in.write_flags, fuse_open_in.open_flags: the writer may not keep set-user-id and set-group-id.
    private const uint WriteKillSuidgid = 1 << 2;
    private const uint OpenKillSuidgid = 1 << 0;
    private const int SetUserId = 0x800;
    private const int SetGroupId = 0x400;
    private const int GroupExecute = 0x008;
    private const string Capabilities = "security.capability";

    /// <summary>The most one copy_file_range request moves; the caller asks again for the rest.</summary>
    private const long MaxCopy = 64L << 20;

    private int Open(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_open_in: 0x00 u32 flags   0x04 u32 open_flags
        uint flags = args.U32();
        uint openFlags = args.U32();
        long inode = InodeOf(request);
        var stream = _fs.OpenFile(inode, AccessOf(flags));
        if ((openFlags & OpenKillSuidgid) != 0)
        {
            DropPrivileges(inode, killSuidgid: true, request.Gid);
        }

        Wire.WriteOpenOut(reply.Append(Wire.OpenOutSize), _files.Add(stream), Wire.OpenKeepCache | Wire.OpenNoFlush);
        return 0;
    }

    private int Create(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_create_in: 0x00 u32 flags   0x04 u32 mode   0x08 u32 umask   0x0C u32 open_flags
        uint flags = args.U32();
        uint mode = args.U32();
        args.Skip(8);
        string name = args.Name();
        long directory = InodeOf(request);
        var (uid, gid, _) = Owner(request, directory);
        VexFileInfo info;
        try
        {
            info = _fs.CreateFile(directory, name, (int)(mode & 0xFFF), uid, gid);
        }
        catch (Exception e) when ((flags & OExcl) == 0 && VexErrors.KindOf(e) == VexErrorKind.AlreadyExists)
        {
            // Created by someone else since the kernel's lookup: O_CREAT without O_EXCL opens it.
            info = _fs.Lookup(directory, name);
        }

        var stream = _fs.OpenFile(info.Inode, AccessOf(flags));
        Entry(info, reply);
        Wire.WriteOpenOut(reply.Append(Wire.OpenOutSize), _files.Add(stream), Wire.OpenKeepCache | Wire.OpenNoFlush);
        return 0;
    }

    private int Read(ref ArgumentReader args, Reply reply)
    {
        // fuse_read_in: 0x00 u64 fh   0x08 u64 offset   0x10 u32 size   0x14 u32 read_flags   0x18 u64 lock_owner
        // 0x20 u32 flags   0x24 u32 padding
        long inode = _files.InodeOf(args.U64());
        long offset = Offset(args.U64());
        int size = (int)Math.Min(args.U32(), FuseSession.MaxWrite);
        reply.CommitAligned(_fs.Read(inode, offset, reply.ReserveAligned(size)));
        return 0;
    }

    private int Write(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_write_in: 0x00 u64 fh   0x08 u64 offset   0x10 u32 size   0x14 u32 write_flags   0x18 u64 lock_owner
        // 0x20 u32 flags   0x24 u32 padding; then the data
        long inode = _files.InodeOf(args.U64());
        long offset = Offset(args.U64());
        int size = (int)args.U32();
        uint writeFlags = args.U32();
        args.Skip(16);

        // Privileges go first, as on ext4; the answer goes once the blocks are allocated, so that the writer's
        // next request comes while this one's data moves (a flush waits for it, and reads of the file do).
        if (DropPrivileges(inode, (writeFlags & WriteKillSuidgid) != 0, request.Gid))
        {
            AttributesChanged?.Invoke(NodeOf(inode));
        }

        reply.AppendU32((uint)size);
        reply.AppendU32(0);
        _fs.Write(inode, offset, args.Bytes(size), reply.SendNowAction);
        return 0;
    }

    /// <summary>
    /// What the kernel leaves to a host that handles killpriv (v2): a write, a truncate or an O_TRUNC open
    /// removes the file's capabilities and, when the kernel says so (the caller may not keep them), its
    /// set-user-id bit, and its set-group-id bit where group execution makes it one or the caller (by its
    /// group <paramref name="callerGid"/>) is not of the file's group, as on ext4. Returns whether the mode changed.
    /// </summary>
    private bool DropPrivileges(long inode, bool killSuidgid, uint callerGid)
    {
        if (_fs.TryGetXattr(inode, Capabilities) is not null)
        {
            _fs.RemoveXattr(inode, Capabilities);
        }

        if (!killSuidgid)
        {
            return false;
        }

        var info = _fs.GetInfo(inode);
        int permissions = info.Permissions;
        bool groupId = (permissions & GroupExecute) != 0 || callerGid != info.Gid;
        int kept = permissions & ~SetUserId & ~(groupId ? SetGroupId : 0);
        if (kept == permissions)
        {
            return false;
        }

        _fs.SetInfo(inode, new VexInfoChange { Permissions = kept });
        return true;
    }

    private int Release(ref ArgumentReader args)
    {
        // fuse_release_in: 0x00 u64 fh   0x08 u32 flags   0x0C u32 release_flags   0x10 u64 lock_owner
        _files.Close(args.U64());
        return 0;
    }

    private int Allocate(ref ArgumentReader args)
    {
        // fuse_fallocate_in: 0x00 u64 fh   0x08 u64 offset   0x10 u64 length   0x18 u32 mode   0x1C u32 padding
        long inode = _files.InodeOf(args.U64());
        long offset = Offset(args.U64());
        long length = Offset(args.U64());
        uint mode = args.U32();
        if ((mode & ~FallocKeepSize) != 0)
        {
            // Punching holes, zeroing, collapsing and inserting ranges are not offered.
            return Errno.Eopnotsupp;
        }

        _fs.Allocate(inode, offset, length, keepSize: mode == FallocKeepSize);
        return 0;
    }

    /// <summary>SEEK_DATA and SEEK_HOLE from the file's extents; the other whences never reach the host.</summary>
    private int Seek(ref ArgumentReader args, Reply reply)
    {
        // fuse_lseek_in: 0x00 u64 fh   0x08 u64 offset   0x10 u32 whence   0x14 u32 padding
        long inode = _files.InodeOf(args.U64());
        long offset = Offset(args.U64());
        uint whence = args.U32();
        if (whence is not (SeekData or SeekHole))
        {
            return Errno.Einval;
        }

        if (offset >= _fs.GetInfo(inode).Size)
        {
            return Errno.Enxio;
        }

        long? found = whence == SeekData ? _fs.NextData(inode, offset) : _fs.NextHole(inode, offset);
        if (found is not { } position)
        {
            return Errno.Enxio;
        }

        reply.AppendU64((ulong)position);
        return 0;
    }

    private int CopyRange(ref ArgumentReader args, Reply reply)
    {
        // fuse_copy_file_range_in: 0x00 u64 fh_in   0x08 u64 off_in   0x10 u64 nodeid_out   0x18 u64 fh_out
        // 0x20 u64 off_out   0x28 u64 len   0x30 u64 flags
        long source = _files.InodeOf(args.U64());
        long from = Offset(args.U64());
        args.U64();
        long target = _files.InodeOf(args.U64());
        long to = Offset(args.U64());
        long length = (long)Math.Min(args.U64(), (ulong)MaxCopy);
        if (args.U64() != 0)
        {
            return Errno.Einval;
        }

        long copied = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, FuseSession.MaxWrite));
        try
        {
            while (copied < length)
            {
                int read = _fs.Read(source, from + copied, buffer.AsSpan(0, (int)Math.Min(length - copied, buffer.Length)));
                if (read == 0)
                {
                    break;
                }

                _fs.Write(target, to + copied, buffer.AsSpan(0, read));
                copied += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(reply.Append(8), (uint)copied);
        return 0;
    }

    private static FileAccess AccessOf(uint flags) => (flags & AccessModeMask) switch
    {
        0 => FileAccess.Read,
        1 => FileAccess.Write,
        _ => FileAccess.ReadWrite,
    };
}
