using System.Buffers.Binary;
using System.Runtime.InteropServices;
using VexFs.Format.Checksums;

namespace VexFs.Format.VectorArea;

/// <summary>
/// A vector space's rows: the stored vectors, the truth that the search index is built from. They fill the
/// data of the space's rows inode (a system inode, see <see cref="VectorSpaceRecord.RowsInode"/>), one row per
/// vector, changed in the same journal transaction as the file that owns it.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u64 owner inode (0: a free row, all zero)
/// 0x08 u32 CRC32C (seed, location, the row with this field as zero); the location is (space id &lt;&lt; 40) | row
/// 0x0C u32 zero
/// 0x10 f32[dimension] the vector, little-endian (unit length under cosine)
/// </code>
/// A row never straddles a block boundary: blocks hold <c>block size / row size</c> rows side by side, and a
/// row larger than a block takes whole blocks of its own. Row <c>r</c> lies where <see cref="Locate"/> says.
/// </remarks>
internal static class VectorRows
{
    public const int HeaderSize = 0x10;
    private const int ChecksumOffset = 0x08;

    /// <summary>The bytes of one row of <paramref name="dimension"/> components.</summary>
    public static int Size(int dimension) => HeaderSize + (dimension * sizeof(float));

    /// <summary>The rows one block holds, 0 when a row takes several blocks.</summary>
    public static int PerBlock(int dimension, int blockSize) => blockSize / Size(dimension);

    /// <summary>The blocks one row takes when it is larger than a block.</summary>
    public static int BlocksPerRow(int dimension, int blockSize) => (Size(dimension) + blockSize - 1) / blockSize;

    /// <summary>The blocks of a unit, the run of blocks that holds whole rows: one block of several rows, or the blocks of one large row.</summary>
    public static int UnitBlocks(int dimension, int blockSize) => PerBlock(dimension, blockSize) > 0 ? 1 : BlocksPerRow(dimension, blockSize);

    /// <summary>The rows of a unit (see <see cref="UnitBlocks"/>).</summary>
    public static int RowsPerUnit(int dimension, int blockSize) => Math.Max(PerBlock(dimension, blockSize), 1);

    /// <summary>The file block and the offset within it (of the run of <see cref="BlocksPerRow"/> blocks, for a large row) where row <paramref name="row"/> begins.</summary>
    public static (long FileBlock, int Offset) Locate(long row, int dimension, int blockSize)
    {
        int perBlock = PerBlock(dimension, blockSize);
        return perBlock > 0
            ? (row / perBlock, (int)(row % perBlock) * Size(dimension))
            : (row * BlocksPerRow(dimension, blockSize), 0);
    }

    /// <summary>The file blocks that rows 0 to <paramref name="rows"/> - 1 take.</summary>
    public static long FileBlocks(long rows, int dimension, int blockSize)
    {
        int perBlock = PerBlock(dimension, blockSize);
        return perBlock > 0 ? (rows + perBlock - 1) / perBlock : rows * BlocksPerRow(dimension, blockSize);
    }

    /// <summary>The rows that <paramref name="fileBlocks"/> file blocks hold.</summary>
    public static long RowsIn(long fileBlocks, int dimension, int blockSize)
    {
        int perBlock = PerBlock(dimension, blockSize);
        return perBlock > 0 ? fileBlocks * perBlock : fileBlocks / BlocksPerRow(dimension, blockSize);
    }

    /// <summary>Writes row <paramref name="row"/> of space <paramref name="spaceId"/>: <paramref name="owner"/>'s vector, or a free row when the owner is 0.</summary>
    public static void Write(Span<byte> destination, int spaceId, long row, long owner, ReadOnlySpan<float> vector, uint seed)
    {
        var b = destination[..Size(vector.Length)];
        b.Clear();
        if (owner == 0)
        {
            return;
        }

        BinaryPrimitives.WriteInt64LittleEndian(b, owner);
        var floats = b[HeaderSize..];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(vector).CopyTo(floats);
        }
        else
        {
            for (int i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(floats[(i * sizeof(float))..], vector[i]);
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(b[ChecksumOffset..], Crc32C.ComputeMetadata(seed, Location(spaceId, row), b, ChecksumOffset));
    }

    /// <summary>
    /// Reads row <paramref name="row"/>: its owner (0 for a free row) and, for a used row, its vector into
    /// <paramref name="vector"/> (of the space's dimension). <paramref name="block"/> is the device block where
    /// the row begins, named by the exception.
    /// </summary>
    /// <exception cref="InvalidFileSystemException">The checksum does not match, a free row is not all zero, or a component is not finite.</exception>
    public static long Read(ReadOnlySpan<byte> source, int spaceId, long row, Span<float> vector, uint seed, long rowsInode, long block)
    {
        var b = source[..Size(vector.Length)];
        long owner = BinaryPrimitives.ReadInt64LittleEndian(b);
        if (owner == 0)
        {
            Corruption.Check(!b.ContainsAnyExcept((byte)0), block, $"vector row {row} of inode {rowsInode}", "a free row must be all zero");
            return 0;
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(b[ChecksumOffset..]);
        Corruption.Check(stored == Crc32C.ComputeMetadata(seed, Location(spaceId, row), b, ChecksumOffset), block, $"vector row {row} of inode {rowsInode}", "checksum mismatch");
        Corruption.Check(owner > 0, block, $"vector row {row} of inode {rowsInode}", $"owner {owner} is not an inode number");
        var floats = b[HeaderSize..];
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(floats[(i * sizeof(float))..]);
        }

        Corruption.Check(vector.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0, block, $"vector row {row} of inode {rowsInode}", "a component is not finite");
        return owner;
    }

    private static ulong Location(int spaceId, long row) => ((ulong)(uint)spaceId << 40) | (ulong)row;
}
