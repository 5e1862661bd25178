namespace VexFs.Format.Records;

/// <summary>A file's mode as <c>st_mode</c> holds it: the type in the top four bits, then permissions.</summary>
internal enum UnixMode : ushort
{
}

/// <summary>The file types an inode can have, with their <c>S_IF*</c> values.</summary>
public enum UnixFileType
{
    /// <summary>Not a valid type.</summary>
    Unknown = 0,

    /// <summary>A named pipe (S_IFIFO).</summary>
    Fifo = 0x1000,

    /// <summary>A character device (S_IFCHR).</summary>
    CharacterDevice = 0x2000,

    /// <summary>A directory (S_IFDIR).</summary>
    Directory = 0x4000,

    /// <summary>A block device (S_IFBLK).</summary>
    BlockDevice = 0x6000,

    /// <summary>A regular file (S_IFREG).</summary>
    RegularFile = 0x8000,

    /// <summary>A symbolic link (S_IFLNK).</summary>
    SymbolicLink = 0xA000,

    /// <summary>A socket (S_IFSOCK).</summary>
    Socket = 0xC000,
}

internal static class UnixModes
{
    public const int TypeMask = 0xF000;
    public const int PermissionMask = 0x0FFF;

    public static UnixFileType Type(this UnixMode mode) => ((int)mode & TypeMask) switch
    {
        0x1000 => UnixFileType.Fifo,
        0x2000 => UnixFileType.CharacterDevice,
        0x4000 => UnixFileType.Directory,
        0x6000 => UnixFileType.BlockDevice,
        0x8000 => UnixFileType.RegularFile,
        0xA000 => UnixFileType.SymbolicLink,
        0xC000 => UnixFileType.Socket,
        _ => UnixFileType.Unknown,
    };

    public static int Permissions(this UnixMode mode) => (int)mode & PermissionMask;

    /// <summary>Whether files of <paramref name="type"/> are device files, pipes or sockets, which hold no data.</summary>
    public static bool IsSpecial(this UnixFileType type) => type.IsDevice() || type is UnixFileType.Fifo or UnixFileType.Socket;

    /// <summary>Whether files of <paramref name="type"/> are device files, which carry a device number.</summary>
    public static bool IsDevice(this UnixFileType type) => type is UnixFileType.CharacterDevice or UnixFileType.BlockDevice;

    public static UnixMode Make(UnixFileType type, int permissions) => (UnixMode)((int)type | (permissions & PermissionMask));

    /// <summary>The one-byte type code that directory entries carry (the same as <c>d_type</c>).</summary>
    public static byte DirectoryEntryType(this UnixFileType type) => (byte)((int)type >> 12);

    public static UnixFileType FromDirectoryEntryType(byte code) => code switch
    {
        1 or 2 or 4 or 6 or 8 or 10 or 12 => (UnixFileType)(code << 12),
        _ => UnixFileType.Unknown,
    };
}
