using MountVexfs.Fuse;
using VexFs.Format.Records;

namespace MountVexfs.Host;

/// <summary>Creating, linking, renaming and removing names.</summary>
internal sealed partial class VexFuseOperations
{
    private const int SetGidBit = 0x400;

    // renameat2 flags
    private const uint RenameNoReplace = 1 << 0;
    private const uint RenameExchange = 1 << 1;

    private int Symlink(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        string name = args.Name();
        string target = args.Name();
        long directory = InodeOf(request);
        var (uid, gid, _) = Owner(request, directory);
        return Entry(_fs.CreateSymbolicLink(directory, name, target, uid, gid), reply);
    }

    private int MakeNode(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_mknod_in: 0x00 u32 mode   0x04 u32 rdev   0x08 u32 umask   0x0C u32 padding
        uint mode = args.U32();
        uint device = args.U32();
        args.Skip(8);
        string name = args.Name();
        long directory = InodeOf(request);
        var (uid, gid, _) = Owner(request, directory);
        var type = (UnixFileType)(mode & 0xF000);
        int permissions = (int)(mode & 0xFFF);
        if (type == UnixFileType.RegularFile)
        {
            return Entry(_fs.CreateFile(directory, name, permissions, uid, gid), reply);
        }

        var (major, minor) = Wire.DecodeDevice(device);
        return Entry(_fs.CreateSpecialFile(directory, name, type, permissions, major, minor, uid, gid), reply);
    }

    private int MakeDirectory(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_mkdir_in: 0x00 u32 mode   0x04 u32 umask
        uint mode = args.U32();
        args.Skip(4);
        string name = args.Name();
        long directory = InodeOf(request);
        var (uid, gid, inherits) = Owner(request, directory);
        int permissions = (int)(mode & 0xFFF) | (inherits ? SetGidBit : 0);
        return Entry(_fs.CreateDirectory(directory, name, permissions, uid, gid), reply);
    }

    private int Unlink(FuseRequest request, ref ArgumentReader args)
    {
        _fs.Unlink(InodeOf(request), args.Name());
        return 0;
    }

    private int RemoveDirectory(FuseRequest request, ref ArgumentReader args)
    {
        _fs.RemoveDirectory(InodeOf(request), args.Name());
        return 0;
    }

    private int Rename(FuseRequest request, ref ArgumentReader args, bool withFlags)
    {
        // fuse_rename_in: 0x00 u64 newdir; fuse_rename2_in adds 0x08 u32 flags, 0x0C u32 padding
        long newDirectory = InodeOf(args.U64());
        uint flags = 0;
        if (withFlags)
        {
            flags = args.U32();
            args.Skip(4);
        }

        string name = args.Name();
        string newName = args.Name();
        long directory = InodeOf(request);
        switch (flags)
        {
            case 0:
                _fs.Rename(directory, name, newDirectory, newName, overwrite: true);
                return 0;
            case RenameNoReplace:
                _fs.Rename(directory, name, newDirectory, newName, overwrite: false);
                return 0;
            case RenameExchange:
                _fs.Exchange(directory, name, newDirectory, newName);
                return 0;
            default:
                // RENAME_WHITEOUT (overlayfs) or a combination: not kept by this filesystem.
                return Errno.Einval;
        }
    }

    private int Link(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_link_in: 0x00 u64 oldnodeid
        long inode = InodeOf(args.U64());
        string name = args.Name();
        return Entry(_fs.CreateHardLink(InodeOf(request), name, inode), reply);
    }

    /// <summary>
    /// Who owns what the caller creates in <paramref name="directory"/>: the caller, but the group of a setgid
    /// directory, whose new subdirectories are setgid too (as on ext4).
    /// </summary>
    private (uint Uid, uint Gid, bool InheritsSetGid) Owner(FuseRequest request, long directory)
    {
        var parent = _fs.GetInfo(directory);
        bool setGid = (parent.Permissions & SetGidBit) != 0;
        return (request.Uid, setGid ? parent.Gid : request.Gid, setGid);
    }
}
