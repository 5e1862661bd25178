using System.Runtime.InteropServices;

namespace VexFs.Testing;

/// <summary>Owners, extended attributes, hard links and special files on the host, which System.IO does not make.</summary>
public static partial class HostFiles
{
    /// <summary>Sets a user extended attribute; false where the host filesystem has none.</summary>
    public static bool TrySetXattr(string path, string name, byte[] value) => SetXattr(path, name, value, (nuint)value.Length, 0) == 0;

    /// <summary>The value of an extended attribute (of the path itself, not a link's target); null when it has none.</summary>
    public static byte[]? TryGetXattr(string path, string name)
    {
        var value = new byte[64 << 10];
        nint length = GetXattr(path, name, value, (nuint)value.Length);
        return length < 0 ? null : value[..(int)length];
    }

    /// <summary>Changes the owner of a file (needs root to give it away); false when refused.</summary>
    public static bool TryChown(string path, uint uid, uint gid) => Chown(path, uid, gid) == 0;

    /// <summary>Adds the name <paramref name="path"/> for the file <paramref name="existing"/>.</summary>
    public static void Link(string existing, string path)
    {
        if (LinkNative(existing, path) != 0)
        {
            throw new IOException($"link {existing} {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Creates a named pipe.</summary>
    public static void MakeFifo(string path)
    {
        if (MakeFifoNative(path, 0x1A4) != 0)
        {
            throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Creates a character device file (needs root); false when refused.</summary>
    public static bool TryMakeCharacterDevice(string path, uint major, uint minor)
    {
        // glibc's makedev: the low 8 bits of the minor, 12 of the major, then the rest of each.
        ulong device = ((ulong)(major & 0xFFFFF000) << 32) | ((major & 0xFFFu) << 8) | ((ulong)(minor & 0xFFFFFF00) << 12) | (minor & 0xFFu);
        return MakeNode(path, 0x2000 | 0x1B6, device) == 0;
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeFifoNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeNode(string path, uint mode, ulong device);

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetXattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetXattr(string path, string name, byte[] value, nuint size);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existing, string path);
}
