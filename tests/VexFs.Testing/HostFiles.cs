using System.Runtime.InteropServices;

namespace VexFs.Testing;

/// <summary>Owners, extended attributes and hard links of host files, which System.IO does not set.</summary>
public static partial class HostFiles
{
    /// <summary>Sets a user extended attribute; false where the host filesystem has none.</summary>
    public static bool TrySetXattr(string path, string name, byte[] value) => SetXattr(path, name, value, (nuint)value.Length, 0) == 0;

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

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetXattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existing, string path);
}
