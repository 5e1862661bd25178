using System.Buffers.Binary;
using VexFs.Format.Records;

namespace VexFs.Format.Journal;

/// <summary>
/// The first block of the journal and its checkpoint record: where the oldest transaction that may still
/// need replaying begins. Everything before it has been checkpointed to its home location.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u32 magic 0x484A5856 ("VXJH")   0x04 u32 record type 1 (checkpoint)
/// 0x08 u64 sequence of the first transaction to replay
/// 0x10 u64 its first block, relative to the journal (1 .. blocks-1)
/// 0x18 u64 journal blocks              0x20 u32 block size     0x24 u32 zero
/// 0x28 u8[16] filesystem UUID
/// 0x1FC u32 CRC32C (seed, journal's first block, bytes 0x000-0x1FB)
/// </code>
/// The record fills the first 512 bytes of the block, one sector, so that a power cut while it is rewritten
/// leaves the old or the new record, never a torn one. The rest of the block is zero.
/// </remarks>
internal readonly record struct JournalHeader(ulong Sequence, long Start, long Blocks, int BlockSize, Guid Uuid)
{
    public const uint Magic = 0x484A5856;
    public const uint CheckpointType = 1;
    public const int Size = 512;

    public void Write(Span<byte> block, long blockNumber, uint seed)
    {
        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x04..], CheckpointType);
        BinaryPrimitives.WriteUInt64LittleEndian(block[0x08..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(block[0x10..], Start);
        BinaryPrimitives.WriteInt64LittleEndian(block[0x18..], Blocks);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x20..], (uint)BlockSize);
        Uuid.TryWriteBytes(block[0x28..0x38]);
        BlockTail.Seal(block[..Size], blockNumber, seed);
    }

    public static JournalHeader Read(ReadOnlySpan<byte> block, long blockNumber, uint seed, long expectedBlocks, Guid uuid)
    {
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), Magic, blockNumber, "journal header");
        BlockTail.Verify(block[..Size], blockNumber, seed, "journal header");
        var header = new JournalHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(block[0x08..]),
            BinaryPrimitives.ReadInt64LittleEndian(block[0x10..]),
            BinaryPrimitives.ReadInt64LittleEndian(block[0x18..]),
            (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(block[0x20..]), int.MaxValue),
            new Guid(block[0x28..0x38]));
        Corruption.Check(BinaryPrimitives.ReadUInt32LittleEndian(block[0x04..]) == CheckpointType, blockNumber, "journal header.type", "is not a checkpoint record");
        Corruption.Check(header.Blocks == expectedBlocks, blockNumber, "journal header.blocks", $"{header.Blocks}, but the superblock says {expectedBlocks}");
        Corruption.Check(header.BlockSize == block.Length, blockNumber, "journal header.block_size", $"{header.BlockSize}, but blocks are {block.Length} bytes");
        Corruption.Check(header.Start >= 1 && header.Start < header.Blocks, blockNumber, "journal header.start", $"{header.Start} is outside the journal");
        Corruption.Check(header.Uuid == uuid, blockNumber, "journal header.uuid", "belongs to another filesystem");
        return header;
    }
}
