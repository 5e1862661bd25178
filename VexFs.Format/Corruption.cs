using System.Runtime.CompilerServices;

namespace VexFs.Format;

/// <summary>Throws <see cref="InvalidFileSystemException"/> for a field that fails validation.</summary>
internal static class Corruption
{
    public static InvalidFileSystemException At(long block, string field, string problem) => new(block, field, problem);

    /// <summary>
    /// Checks a field. Interpolated texts are only formatted when the check fails, so that decoding a valid
    /// block allocates nothing for its messages.
    /// </summary>
    public static void Check(
        bool valid,
        long block,
        [InterpolatedStringHandlerArgument(nameof(valid))] FailureText field,
        [InterpolatedStringHandlerArgument(nameof(valid))] FailureText problem)
    {
        if (!valid)
        {
            throw new InvalidFileSystemException(block, field.ToStringAndClear(), problem.ToStringAndClear());
        }
    }

    public static void CheckMagic(uint actual, uint expected, long block, string record)
    {
        if (actual != expected)
        {
            throw new InvalidFileSystemException(block, $"{record}.magic", $"0x{actual:X8} is not the {record} magic 0x{expected:X8}");
        }
    }

    public static void CheckChecksum(uint stored, uint computed, long block, string record)
    {
        if (stored != computed)
        {
            throw new InvalidFileSystemException(block, $"{record}.checksum", $"stored 0x{stored:X8}, computed 0x{computed:X8}");
        }
    }
}

/// <summary>The text of a failed check, formatted only when the check fails.</summary>
/// <remarks>
/// Two references wide, so that a check that passes costs next to nothing: the builder exists only for a
/// check that fails.
/// </remarks>
[InterpolatedStringHandler]
internal ref struct FailureText
{
    private readonly string? _text;
    private readonly System.Text.StringBuilder? _builder;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FailureText(int literalLength, int formattedCount, bool valid, out bool shouldAppend)
    {
        _text = null;
        _builder = valid ? null : new System.Text.StringBuilder(literalLength + (formattedCount * 8));
        shouldAppend = !valid;
    }

    private FailureText(string text)
    {
        _text = text;
        _builder = null;
    }

    public static implicit operator FailureText(string text) => new(text);

    public readonly void AppendLiteral(string value) => _builder!.Append(value);

    public readonly void AppendFormatted<T>(T value) => _builder!.Append(System.Globalization.CultureInfo.InvariantCulture, $"{value}");

    public readonly void AppendFormatted<T>(T value, string? format) => _builder!.Append(value is IFormattable f ? f.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : value?.ToString());

    public readonly string ToStringAndClear() => _text ?? _builder?.ToString() ?? string.Empty;
}
