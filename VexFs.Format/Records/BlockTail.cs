using System.Buffers.Binary;
using VexFs.Format.Checksums;

namespace VexFs.Format.Records;

/// <summary>
/// The checksum that ends every metadata block: the seeded CRC32C of the block, located by its block
/// number, in its last four bytes.
/// </summary>
internal static class BlockTail
{
    public static void Seal(Span<byte> block, long blockNumber, uint seed)
    {
        int limit = block.Length - sizeof(uint);
        BinaryPrimitives.WriteUInt32LittleEndian(block[limit..], Crc32C.ComputeMetadata(seed, (ulong)blockNumber, block, limit));
    }

    public static void Verify(ReadOnlySpan<byte> block, long blockNumber, uint seed, string record)
    {
        int limit = block.Length - sizeof(uint);
        Corruption.CheckChecksum(BinaryPrimitives.ReadUInt32LittleEndian(block[limit..]), Crc32C.ComputeMetadata(seed, (ulong)blockNumber, block, limit), blockNumber, record);
    }
}
