using System.Text;
using MountVexfs.Fuse;
using VexFs.Core;

namespace MountVexfs.Host;

/// <summary>Extended attributes: setxattr, getxattr, listxattr, removexattr.</summary>
internal sealed partial class VexFuseOperations
{
    private const uint XattrCreate = 1;
    private const uint XattrReplace = 2;

    private int SetXattr(FuseRequest request, ref ArgumentReader args)
    {
        // fuse_setxattr_in (without FUSE_SETXATTR_EXT): 0x00 u32 size   0x04 u32 flags; then name, NUL, value
        int size = (int)args.U32();
        uint flags = args.U32();
        string name = args.Name();
        var mode = flags switch
        {
            XattrCreate => XattrMode.Create,
            XattrReplace => XattrMode.Replace,
            0 => XattrMode.CreateOrReplace,
            _ => (XattrMode?)null,
        };
        if (mode is null)
        {
            return Errno.Einval;
        }

        _fs.SetXattr(InodeOf(request), name, args.Bytes(size).ToArray(), mode.Value);
        return 0;
    }

    private int GetXattr(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_getxattr_in: 0x00 u32 size   0x04 u32 padding; then the name
        uint size = args.U32();
        args.Skip(4);
        return _fs.TryGetXattr(InodeOf(request), args.Name()) is { } value ? Sized(value, size, reply) : Errno.Enodata;
    }

    private int ListXattrs(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        uint size = args.U32();
        var names = _fs.ListXattrs(InodeOf(request));
        var list = new StringBuilder();
        foreach (string name in names)
        {
            list.Append(name).Append('\0');
        }

        return Sized(Encoding.UTF8.GetBytes(list.ToString()), size, reply);
    }

    private int RemoveXattr(FuseRequest request, ref ArgumentReader args)
    {
        _fs.RemoveXattr(InodeOf(request), args.Name());
        return 0;
    }

    /// <summary>The value when the caller's buffer holds it, its size when asked for the size (0), ERANGE otherwise.</summary>
    private static int Sized(byte[] value, uint size, Reply reply)
    {
        if (size == 0)
        {
            // fuse_getxattr_out: 0x00 u32 size   0x04 u32 padding
            reply.AppendU32((uint)value.Length);
            reply.AppendU32(0);
            return 0;
        }

        if (value.Length > size)
        {
            return Errno.Erange;
        }

        reply.Append(value);
        return 0;
    }
}
