using System.Runtime.InteropServices;
using VexFs.Core;

namespace VexCtl;

/// <summary>Writes user extended attributes onto host files, so that files copied out keep their vectors (<c>user.vexfs.SPACE</c>).</summary>
internal static partial class HostAttributes
{
    private const int Eopnotsupp = 95;
    private const string UserPrefix = "user.";

    /// <summary>Copies the <c>user.*</c> attributes of <paramref name="source"/> in the filesystem onto <paramref name="target"/> on the host.</summary>
    /// <returns>False when the host filesystem keeps no user attributes (nothing was copied).</returns>
    /// <exception cref="IOException">The host refused an attribute for another reason (too large, no space).</exception>
    public static bool CopyOut(VexFileSystem fs, string source, string target)
    {
        foreach (string name in fs.ListXattrs(source).Where(n => n.StartsWith(UserPrefix, StringComparison.Ordinal)))
        {
            var value = fs.GetXattr(source, name);
            if (SetXattr(target, name, value, (nuint)value.Length, 0) == 0)
            {
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Eopnotsupp)
            {
                return false;
            }

            throw new IOException($"Cannot set the extended attribute {name} of '{target}': {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        return true;
    }

    // lsetxattr: the attribute goes on the path itself, never through a symbolic link.
    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetXattr(string path, string name, byte[] value, nuint size, int flags);
}
