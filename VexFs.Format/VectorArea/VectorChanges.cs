using System.Numerics;
using VexFs.Format.Records;

namespace VexFs.Format.VectorArea;

/// <summary>
/// The rows of a space written since its search index was saved: a bitmap in the data of the space's changes
/// inode (see <see cref="VectorSpaceRecord.ChangesInode"/>), set in the same journal transaction as the row.
/// An open loads the saved index and reads only the rows marked here; saving the index again starts a new,
/// empty bitmap.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u8[block size - 4] bits: bit b of byte i marks row (file block * BitsPerBlock) + (i * 8) + b
/// block end - 4: u32 CRC32C (seed, block number, block)
/// </code>
/// A block that is not there yet marks no row.
/// </remarks>
internal static class VectorChanges
{
    /// <summary>The rows one block marks.</summary>
    public static long BitsPerBlock(int blockSize) => (blockSize - sizeof(uint)) * 8L;

    /// <summary>The file block, the byte within it and the bit of the byte that mark row <paramref name="row"/>.</summary>
    public static (long FileBlock, int Byte, byte Bit) Locate(long row, int blockSize)
    {
        long bits = BitsPerBlock(blockSize);
        long within = row % bits;
        return (row / bits, (int)(within / 8), (byte)(1 << (int)(within % 8)));
    }

    /// <summary>The file blocks that mark rows 0 to <paramref name="rows"/> - 1.</summary>
    public static long FileBlocks(long rows, int blockSize) => (rows + BitsPerBlock(blockSize) - 1) / BitsPerBlock(blockSize);

    /// <summary>An empty block (no row marked), sealed for <paramref name="blockNumber"/>.</summary>
    public static void WriteEmpty(Span<byte> block, long blockNumber, uint seed)
    {
        block.Clear();
        BlockTail.Seal(block, blockNumber, seed);
    }

    /// <summary>Marks row <paramref name="row"/> in its block (read and verified by the caller), and seals it again.</summary>
    public static void Mark(Span<byte> block, long blockNumber, long row, uint seed)
    {
        var (_, index, bit) = Locate(row, block.Length);
        block[index] |= bit;
        BlockTail.Seal(block, blockNumber, seed);
    }

    /// <summary>Checks a block's checksum.</summary>
    /// <exception cref="InvalidFileSystemException">The checksum is wrong.</exception>
    public static void Verify(ReadOnlySpan<byte> block, long blockNumber, uint seed) => BlockTail.Verify(block, blockNumber, seed, "vector changes");

    /// <summary>Adds the rows that block <paramref name="fileBlock"/> marks, below <paramref name="rows"/>, to <paramref name="into"/>; false when it marks a row at or past it.</summary>
    public static bool Collect(ReadOnlySpan<byte> block, long fileBlock, long rows, ICollection<long> into)
    {
        long first = fileBlock * BitsPerBlock(block.Length);
        bool inRange = true;
        for (int i = 0; i < block.Length - sizeof(uint); i++)
        {
            for (uint bits = block[i]; bits != 0; bits &= bits - 1)
            {
                long row = first + (i * 8) + BitOperations.TrailingZeroCount(bits);
                if (row < rows)
                {
                    into.Add(row);
                }
                else
                {
                    inRange = false;
                }
            }
        }

        return inRange;
    }
}
