using System.Text;

namespace VexFs.Format.Directories;

/// <summary>UTF-8 that refuses what it cannot encode or decode (lone surrogates, invalid bytes) instead of replacing it.</summary>
internal static class Utf8Text
{
    public static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="text"/> is valid UTF-16, and so has a UTF-8 form.</summary>
    public static bool IsValid(string text)
    {
        try
        {
            Strict.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
