using System.IO.Hashing;
using System.Text;

namespace VexFs.Format.Directories;

/// <summary>
/// The hash that orders a directory's entries: XxHash64 of the UTF-8 name, keyed by the filesystem's
/// directory hash seed so that nobody can choose names that collide.
/// </summary>
internal static class DirectoryHash
{
    public static ulong Of(ReadOnlySpan<byte> utf8Name, ulong seed) => XxHash64.HashToUInt64(utf8Name, (long)seed);

    public static ulong Of(string name, ulong seed)
    {
        Span<byte> buffer = stackalloc byte[DirectoryNames.MaxBytes * 3];
        int length = Encoding.UTF8.GetBytes(name, buffer);
        return Of(buffer[..length], seed);
    }
}
