using System.Text;

namespace MountVexfs.Fuse;

/// <summary>Names and link targets on the wire: bytes that must be UTF-8, as the filesystem stores them.</summary>
internal static class Names
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="ArgumentException">The bytes are not UTF-8.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ArgumentException("A name is not valid UTF-8.", e);
        }
    }

    public static int ByteCount(string name) => Strict.GetByteCount(name);

    public static int Encode(string name, Span<byte> destination) => Strict.GetBytes(name, destination);
}
