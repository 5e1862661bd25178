using System.Buffers.Binary;

namespace VexFs.BlockDevices.Nbd;

/// <summary>What the handshake learned about an export: its size, flags and block size constraints.</summary>
/// <remarks>
/// NBD_REP_INFO payloads, each beginning with its type:
/// <code>
/// NBD_INFO_EXPORT, <see cref="ExportInfoSize"/> bytes
/// // 0x00 u16 0 (NBD_INFO_EXPORT)
/// // 0x02 u64 export size in bytes
/// // 0x0A u16 transmission flags
///
/// NBD_INFO_BLOCK_SIZE, <see cref="BlockSizeInfoSize"/> bytes
/// // 0x00 u16 3 (NBD_INFO_BLOCK_SIZE)
/// // 0x02 u32 minimum block size: a power of two; requests are aligned to it
/// // 0x06 u32 preferred block size: a power of two, at least the minimum
/// // 0x0A u32 maximum payload: a multiple of the minimum, or 0xffffffff for no limit
/// </code>
/// The reply to NBD_OPT_EXPORT_NAME, <see cref="ExportNameReplySize"/> bytes, then 124 zero bytes unless
/// NO_ZEROES was agreed:
/// <code>
/// // 0x00 u64 export size in bytes
/// // 0x08 u16 transmission flags
/// </code>
/// Without NBD_INFO_BLOCK_SIZE the protocol's defaults apply: a minimum of 1, a preferred size of 4,096 and no
/// maximum (a client keeps to 32 MiB).
/// </remarks>
internal sealed record NbdExport
{
    public const int ExportInfoSize = 12;
    public const int BlockSizeInfoSize = 14;
    public const int ExportNameReplySize = 10;
    public const uint NoMaximum = uint.MaxValue;

    public required ulong Size { get; init; }

    public required NbdTransmissionFlags Flags { get; init; }

    public uint MinimumBlockSize { get; init; } = 1;

    public uint PreferredBlockSize { get; init; } = 4096;

    public uint MaximumBlockSize { get; init; } = NoMaximum;

    public bool StructuredReplies { get; init; }

    public bool IsReadOnly => Flags.HasFlag(NbdTransmissionFlags.ReadOnly);

    public bool Has(NbdTransmissionFlags flag) => Flags.HasFlag(flag);

    public static (ulong Size, NbdTransmissionFlags Flags) ReadExportInfo(ReadOnlySpan<byte> source)
    {
        CheckLength(source, ExportInfoSize, "NBD_INFO_EXPORT");
        return (BinaryPrimitives.ReadUInt64BigEndian(source[0x02..]), ReadFlags(source[0x0A..]));
    }

    public static (ulong Size, NbdTransmissionFlags Flags) ReadExportNameReply(ReadOnlySpan<byte> source) =>
        (BinaryPrimitives.ReadUInt64BigEndian(source), ReadFlags(source[0x08..]));

    /// <summary>Decodes NBD_INFO_BLOCK_SIZE and checks the rules the protocol sets on its three sizes.</summary>
    public static (uint Minimum, uint Preferred, uint Maximum) ReadBlockSizeInfo(ReadOnlySpan<byte> source)
    {
        CheckLength(source, BlockSizeInfoSize, "NBD_INFO_BLOCK_SIZE");
        uint minimum = BinaryPrimitives.ReadUInt32BigEndian(source[0x02..]);
        uint preferred = BinaryPrimitives.ReadUInt32BigEndian(source[0x06..]);
        uint maximum = BinaryPrimitives.ReadUInt32BigEndian(source[0x0A..]);
        if (!IsPowerOfTwo(minimum) || !IsPowerOfTwo(preferred) || preferred < minimum
            || (maximum != NoMaximum && (maximum < minimum || maximum % minimum != 0)))
        {
            throw new IOException(
                $"NBD protocol violation: the block sizes minimum {minimum}, preferred {preferred}, maximum {maximum} break the protocol's rules.");
        }

        return (minimum, preferred, maximum);
    }

    private static NbdTransmissionFlags ReadFlags(ReadOnlySpan<byte> source)
    {
        var flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(source);
        if (!flags.HasFlag(NbdTransmissionFlags.HasFlags))
        {
            throw new IOException("NBD protocol violation: the transmission flags lack NBD_FLAG_HAS_FLAGS.");
        }

        return flags;
    }

    private static void CheckLength(ReadOnlySpan<byte> source, int expected, string what)
    {
        if (source.Length != expected)
        {
            throw new IOException($"NBD protocol violation: {what} has {source.Length} bytes instead of {expected}.");
        }
    }

    private static bool IsPowerOfTwo(uint value) => value != 0 && (value & (value - 1)) == 0;
}
