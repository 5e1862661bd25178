using System.Text;

namespace VexFs.Format.Directories;

/// <summary>What a name in a directory may be: 1 to 255 bytes of UTF-8, without '/' or NUL, not "." or "..".</summary>
internal static class DirectoryNames
{
    public const int MaxBytes = 255;

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

        if (!Utf8Text.IsValid(name))
        {
            return "a name must be valid Unicode";
        }

        int bytes = Encoding.UTF8.GetByteCount(name);
        return bytes > MaxBytes ? $"a name is at most {MaxBytes} bytes of UTF-8; this one has {bytes}" : null;
    }

    /// <summary>The kind of refusal a name with a problem gets: too long, or otherwise invalid.</summary>
    public static VexErrorKind KindOf(string name) =>
        Utf8Text.IsValid(name) && Encoding.UTF8.GetByteCount(name) > MaxBytes ? VexErrorKind.NameTooLong : VexErrorKind.InvalidArgument;

    public static void Validate(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (Problem(name) is { } problem)
        {
            throw new ArgumentException($"Invalid name '{name}': {problem}.", paramName).With(KindOf(name));
        }
    }

    public static bool TryDecode(ReadOnlySpan<byte> utf8, out string name)
    {
        try
        {
            name = Utf8Text.Strict.GetString(utf8);
            return Problem(name) is null;
        }
        catch (DecoderFallbackException)
        {
            name = string.Empty;
            return false;
        }
    }
}
