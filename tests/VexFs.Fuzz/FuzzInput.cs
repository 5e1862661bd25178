using System.Buffers.Binary;

namespace VexFs.Fuzz;

/// <summary>
/// How the record targets read their input: a record of a fixed size (cut or zero-padded), optionally after a
/// 32-bit owner or number, so that cut-out records keep the context their checks need.
/// </summary>
internal static class FuzzInput
{
    public static byte[] Fit(ReadOnlySpan<byte> input, int size)
    {
        var record = new byte[size];
        input[..Math.Min(input.Length, size)].CopyTo(record);
        return record;
    }

    /// <summary>Splits off the leading 32-bit number (0 when the input is shorter).</summary>
    public static (long Number, byte[] Record) WithNumber(ReadOnlySpan<byte> input, int size) =>
        input.Length < sizeof(uint)
            ? (0, Fit(input, size))
            : (BinaryPrimitives.ReadUInt32LittleEndian(input), Fit(input[sizeof(uint)..], size));

    public static byte[] Prefix(long number, ReadOnlySpan<byte> record)
    {
        var input = new byte[sizeof(uint) + record.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(input, (uint)number);
        record.CopyTo(input.AsSpan(sizeof(uint)));
        return input;
    }
}
