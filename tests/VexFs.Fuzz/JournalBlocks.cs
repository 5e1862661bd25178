using System.Buffers.Binary;
using VexFs.BlockDevices;
using VexFs.Format.Checksums;
using VexFs.Format.Journal;

namespace VexFs.Fuzz;

/// <summary>The sample's journal blocks, and the sealing that lets a fuzzed record past its checksum.</summary>
internal static class JournalBlocks
{
    private const int SequenceOffset = 0x08;

    public static List<byte[]> Of(BlockDevice image)
    {
        var sb = SampleImage.Superblock;
        var blocks = new List<byte[]>();
        for (long i = 0; i < sb.JournalBlocks; i++)
        {
            var block = new byte[SampleImage.BlockSize];
            image.Read((sb.JournalStart + i) * SampleImage.BlockSize, block);
            blocks.Add(block);
        }

        return blocks;
    }

    /// <summary>Gives a block that carries the record magic the checksum of its own sequence.</summary>
    public static void SealRecord(byte[] block)
    {
        if (!JournalRecord.LooksLikeRecord(block))
        {
            return;
        }

        int limit = block.Length - sizeof(uint);
        ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(block.AsSpan(SequenceOffset));
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(limit), Crc32C.ComputeMetadata(SampleImage.Seed, sequence, block, limit));
    }
}
