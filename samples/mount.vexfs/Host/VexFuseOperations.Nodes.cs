using System.Buffers.Binary;
using MountVexfs.Fuse;
using VexFs.Core;
using VexFs.Format;

namespace MountVexfs.Host;

/// <summary>Names and attributes: lookup, getattr, setattr, readlink, access, statfs.</summary>
internal sealed partial class VexFuseOperations
{
    // fuse_setattr_in.valid
    private const uint SetMode = 1 << 0;
    private const uint SetUid = 1 << 1;
    private const uint SetGid = 1 << 2;
    private const uint SetSize = 1 << 3;
    private const uint SetAtime = 1 << 4;
    private const uint SetMtime = 1 << 5;
    private const uint SetAtimeNow = 1 << 7;
    private const uint SetMtimeNow = 1 << 8;
    private const uint KillSuidgid = 1 << 11;

    private const int MaxNameBytes = 255;

    private int Lookup(FuseRequest request, ref ArgumentReader args, Reply reply) =>
        _fs.TryLookup(InodeOf(request), args.Name()) is { } info ? Entry(info, reply) : Errno.Enoent;

    private int GetAttr(FuseRequest request, Reply reply)
    {
        Wire.WriteAttrOut(reply.Append(Wire.AttrOutSize), _fs.GetInfo(InodeOf(request)), _blockSize);
        return 0;
    }

    private int SetAttr(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_setattr_in: 0x00 u32 valid   0x04 u32 padding   0x08 u64 fh   0x10 u64 size   0x18 u64 lock_owner
        // 0x20 u64 atime   0x28 u64 mtime   0x30 u64 ctime   0x38 u32 atimensec   0x3C u32 mtimensec
        // 0x40 u32 ctimensec   0x44 u32 mode   0x48 u32 unused   0x4C u32 uid   0x50 u32 gid   0x54 u32 unused
        uint valid = args.U32();
        args.Skip(12);
        ulong size = args.U64();
        args.Skip(8);
        ulong atime = args.U64();
        ulong mtime = args.U64();
        args.Skip(8);
        uint atimeNs = args.U32();
        uint mtimeNs = args.U32();
        args.Skip(4);
        uint mode = args.U32();
        args.Skip(4);
        uint uid = args.U32();
        uint gid = args.U32();

        long inode = InodeOf(request);
        if ((valid & SetSize) != 0)
        {
            _fs.SetLength(inode, Offset(size));
            DropPrivileges(inode, (valid & KillSuidgid) != 0 && (valid & SetMode) == 0, request.Gid);
        }

        // A change of owner drops set-user-id and set-group-id from a file, as on ext4 (the kernel leaves that
        // to a host handling killpriv v2), unless the same request sets the mode.
        if ((valid & (SetUid | SetGid)) != 0 && (valid & SetMode) == 0 && _fs.GetInfo(inode).Type == VexFs.Format.Records.UnixFileType.RegularFile)
        {
            DropPrivileges(inode, killSuidgid: true, request.Gid);
        }

        var now = DateTimeOffset.UtcNow;
        var change = new VexInfoChange
        {
            Permissions = (valid & SetMode) != 0 ? (int)(mode & 0xFFF) : null,
            Uid = (valid & SetUid) != 0 ? uid : null,
            Gid = (valid & SetGid) != 0 ? gid : null,
            AccessedTime = (valid & SetAtimeNow) != 0 ? now : (valid & SetAtime) != 0 ? Wire.Time(atime, atimeNs) : null,
            ModifiedTime = (valid & SetMtimeNow) != 0 ? now : (valid & SetMtime) != 0 ? Wire.Time(mtime, mtimeNs) : null,
        };
        bool changes = change.Permissions.HasValue || change.Uid.HasValue || change.Gid.HasValue || change.AccessedTime.HasValue || change.ModifiedTime.HasValue;
        var info = changes ? _fs.SetInfo(inode, change) : _fs.GetInfo(inode);
        Wire.WriteAttrOut(reply.Append(Wire.AttrOutSize), info, _blockSize);
        return 0;
    }

    private int ReadLink(FuseRequest request, Reply reply)
    {
        string target = _fs.ReadLink(InodeOf(request));
        int length = Names.ByteCount(target);
        Names.Encode(target, reply.Append(length));
        return 0;
    }

    /// <summary>
    /// The mount has default_permissions, so the kernel checks access itself and sends ACCESS only to ask
    /// whether the file exists.
    /// </summary>
    private int Access(FuseRequest request, ref ArgumentReader args)
    {
        args.U32();
        _fs.GetInfo(InodeOf(request));
        return 0;
    }

    private int StatFs(Reply reply)
    {
        // fuse_kstatfs: 0x00 u64 blocks   0x08 u64 bfree   0x10 u64 bavail   0x18 u64 files   0x20 u64 ffree
        // 0x28 u32 bsize   0x2C u32 namelen   0x30 u32 frsize   0x34 u32 padding   0x38 u32 spare[6]
        var space = _fs.GetSpaceInfo();
        var s = reply.Append(80);
        BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)space.TotalBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x08..], (ulong)space.FreeBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x10..], (ulong)space.FreeBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x18..], (ulong)space.TotalInodes);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x20..], (ulong)space.FreeInodes);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x28..], (uint)space.BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x2C..], MaxNameBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x30..], (uint)space.BlockSize);
        return 0;
    }

    /// <summary>A file offset or size from the wire; one past what a file can hold is refused as too large.</summary>
    private static long Offset(ulong value) => value <= long.MaxValue
        ? (long)value
        : throw new VexFsException(VexErrorKind.FileTooLarge, $"Offset {value} lies past the largest file size.");
}
