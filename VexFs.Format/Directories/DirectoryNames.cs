using System.Text;

namespace VexFs.Format.Directories;

/// <summary>What a name in a directory may be: 1 to 255 bytes of UTF-8, without '/' or NUL, not "." or "..".</summary>
internal static class DirectoryNames
{
    public const int MaxBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Explains why <paramref name="name"/> is not a valid entry name, or returns null.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "a name cannot be empty";
        }

        if (name is "." or "..")
        {
            return $"'{name}' is reserved";
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            return "a name cannot contain '/' or NUL";
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return "a name must be valid Unicode";
        }

        return bytes > MaxBytes ? $"a name is at most {MaxBytes} bytes of UTF-8; this one has {bytes}" : null;
    }

    public static void Validate(string name, string paramName)
    {
        if (Problem(name) is { } problem)
        {
            throw new ArgumentException($"Invalid name '{name}': {problem}.", paramName);
        }
    }

    public static bool TryDecode(ReadOnlySpan<byte> utf8, out string name)
    {
        try
        {
            name = StrictUtf8.GetString(utf8);
            return Problem(name) is null;
        }
        catch (DecoderFallbackException)
        {
            name = string.Empty;
            return false;
        }
    }
}
