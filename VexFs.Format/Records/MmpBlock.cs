using System.Buffers.Binary;
using System.Text;
using VexFs.Format.Checksums;

namespace VexFs.Format.Records;

/// <summary>
/// The multi-mount protection block, in the manner of ext4's MMP: the writer that has the filesystem open
/// keeps a sequence number in it that it changes every update interval, so that another host sharing the
/// device sees it alive and stays away; clean when no one writes, a fixed value while fsck repairs.
/// </summary>
/// <remarks>
/// <code>
/// 0x000 u32 magic 0x504D4D56 ("VMMP")    0x004 u32 sequence        0x008 i64 time of the last update (ns)
/// 0x010 u8[64] node name (UTF-8, zero padded)                      0x050 u8[32] device (UTF-8, zero padded)
/// 0x070 u16 check interval (s)           0x072 zero ... 0x1FB
/// 0x1FC u32 seeded CRC32C of bytes 0x000-0x1FF (location: the block number), this field as zero
/// 0x200 zero to the end of the block
/// </code>
/// Every field sits in the first 512 bytes, one sector, so that another host reads the old record or the new
/// one, never a torn one. The sequence says who is there: <see cref="Clean"/> nobody, <see cref="Fsck"/> fsck,
/// any value up to <see cref="MaxSequence"/> a writer that changes it every update interval while it lives.
/// </remarks>
internal sealed record MmpBlock
{
    public const int Size = 512;
    public const uint MagicValue = 0x504D4D56;

    /// <summary>No writer: the last one closed the filesystem (ext4's EXT4_MMP_SEQ_CLEAN).</summary>
    public const uint Clean = 0xFF4D4D50;

    /// <summary>fsck is repairing the filesystem (ext4's EXT4_MMP_SEQ_FSCK).</summary>
    public const uint Fsck = 0xE24D4D50;

    /// <summary>The largest sequence of a live writer (ext4's EXT4_MMP_SEQ_MAX); after it the sequence wraps to 1.</summary>
    public const uint MaxSequence = 0xE24D4D4F;

    /// <summary>The longest update interval, in seconds (ext4's EXT4_MMP_MAX_UPDATE_INTERVAL).</summary>
    public const int MaxInterval = 300;

    public const int NodeNameSize = 64;
    public const int DeviceNameSize = 32;
    private const int ChecksumOffset = 0x1FC;

    public uint Sequence { get; init; }

    public long TimeNs { get; init; }

    public string NodeName { get; init; } = string.Empty;

    public string DeviceName { get; init; } = string.Empty;

    public int CheckInterval { get; init; }

    /// <summary>The sequence a live writer moves to next: one more, wrapping below the special values.</summary>
    public static uint Next(uint sequence) => sequence >= MaxSequence ? 1 : sequence + 1;

    /// <summary><paramref name="text"/> cut to at most <paramref name="bytes"/> bytes of UTF-8, never inside a character.</summary>
    public static string Truncate(string text, int bytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= bytes)
        {
            return text;
        }

        int length = text.Length;
        while (Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > bytes || (length > 0 && char.IsHighSurrogate(text[length - 1])))
        {
            length--;
        }

        return text[..length];
    }

    /// <summary>Writes the record into <paramref name="block"/>, the whole MMP block, zeroing the rest of it.</summary>
    public void WriteTo(Span<byte> block, long blockNumber, uint seed)
    {
        block.Clear();
        var b = block[..Size];
        BinaryPrimitives.WriteUInt32LittleEndian(b, MagicValue);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x004..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x008..], TimeNs);
        Encoding.UTF8.GetBytes(Truncate(NodeName, NodeNameSize), b[0x010..(0x010 + NodeNameSize)]);
        Encoding.UTF8.GetBytes(Truncate(DeviceName, DeviceNameSize), b[0x050..(0x050 + DeviceNameSize)]);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x070..], (ushort)Math.Clamp(CheckInterval, 0, ushort.MaxValue));
        BinaryPrimitives.WriteUInt32LittleEndian(b[ChecksumOffset..], Crc32C.ComputeMetadata(seed, (ulong)blockNumber, b, ChecksumOffset));
    }

    /// <summary>Decodes the MMP block, raising <see cref="InvalidFileSystemException"/> when its magic or checksum is wrong.</summary>
    public static MmpBlock ReadFrom(ReadOnlySpan<byte> block, long blockNumber, uint seed)
    {
        Corruption.Check(block.Length >= Size, blockNumber, "MMP block", $"only {block.Length} bytes");
        var b = block[..Size];
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(b), MagicValue, blockNumber, "MMP block");
        Corruption.CheckChecksum(BinaryPrimitives.ReadUInt32LittleEndian(b[ChecksumOffset..]), Crc32C.ComputeMetadata(seed, (ulong)blockNumber, b, ChecksumOffset), blockNumber, "MMP block");
        return new MmpBlock
        {
            Sequence = BinaryPrimitives.ReadUInt32LittleEndian(b[0x004..]),
            TimeNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x008..]),
            NodeName = Text(b[0x010..(0x010 + NodeNameSize)]),
            DeviceName = Text(b[0x050..(0x050 + DeviceNameSize)]),
            CheckInterval = BinaryPrimitives.ReadUInt16LittleEndian(b[0x070..]),
        };
    }

    /// <summary>A name field as text; bytes that are not UTF-8 become replacement characters (the names are only shown).</summary>
    private static string Text(ReadOnlySpan<byte> field) => Encoding.UTF8.GetString(field.TrimEnd((byte)0));
}
