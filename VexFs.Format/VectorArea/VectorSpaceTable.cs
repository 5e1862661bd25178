using System.Buffers.Binary;
using System.Text;
using VexFs.Format.Records;
using VexFs.Vectors;

namespace VexFs.Format.VectorArea;

/// <summary>A vector space as the table records it: its definition and the system inodes that hold its structures.</summary>
/// <param name="Id">A number unique within the filesystem, never reused.</param>
/// <param name="Definition">Name, dimension, metric and element type.</param>
/// <param name="RowsInode">The system inode that holds the space's rows (see <see cref="VectorRows"/>), 0 until its first vector.</param>
/// <param name="IndexInode">The system inode that holds the saved search index, 0 while none is saved (the index is built from the rows).</param>
/// <param name="ChangesInode">
/// The system inode that marks the rows written since the index was saved (see <see cref="VectorChanges"/>), 0
/// while none has been: with the saved index, what an open reads instead of every row.
/// </param>
/// <param name="IndexGeneration">How many times the index has been saved; 0 before the first save.</param>
internal readonly record struct VectorSpaceRecord(int Id, VectorSpaceDefinition Definition, long RowsInode = 0, long IndexInode = 0, long ChangesInode = 0, long IndexGeneration = 0);

/// <summary>
/// The vector area's table of spaces: one block named by the superblock. The storage and index structures
/// that the roots point at are versioned records of their own.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u32 magic 0x54565856 ("VXVT")   0x04 u16 table version (1)   0x06 u16 spaces
/// 0x08 u32 next space id               0x0C u32 zero
/// 0x10 spaces, 96 bytes each:
///      0x00 u8[48] name (UTF-8, zero padded)   0x30 u32 id            0x34 u16 dimension
///      0x36 u8 metric (1 L2, 2 cosine, 3 inner product)               0x37 u8 element type (1 f32)
///      0x38 u64 changes inode (0: no row written since the index was saved)
///      0x40 u64 rows inode (0: none yet)   0x48 u64 index inode (0: none saved)   0x50 u64 index generation   0x58 u64 zero
/// block end - 4: u32 CRC32C (seed, block number, block)
/// </code>
/// </remarks>
internal static class VectorSpaceTable
{
    public const uint Magic = 0x54565856;
    public const ushort Version = 1;
    public const int HeaderSize = 0x10;
    public const int EntrySize = 96;
    private const int NameSize = 48;

    public static int Capacity(int blockSize) => (blockSize - HeaderSize - sizeof(uint)) / EntrySize;

    public static void Write(Span<byte> block, long blockNumber, IReadOnlyList<VectorSpaceRecord> spaces, int nextId, uint seed)
    {
        if (spaces.Count > Capacity(block.Length))
        {
            throw new ArgumentException($"{spaces.Count} vector spaces do not fit one {block.Length}-byte table block (at most {Capacity(block.Length)}).");
        }

        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x04..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x06..], (ushort)spaces.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x08..], (uint)nextId);
        for (int i = 0; i < spaces.Count; i++)
        {
            var e = block.Slice(HeaderSize + (i * EntrySize), EntrySize);
            var s = spaces[i];
            Encoding.UTF8.GetBytes(s.Definition.Name, e[..NameSize]);
            BinaryPrimitives.WriteUInt32LittleEndian(e[0x30..], (uint)s.Id);
            BinaryPrimitives.WriteUInt16LittleEndian(e[0x34..], (ushort)s.Definition.Dimension);
            e[0x36] = (byte)s.Definition.Metric;
            e[0x37] = (byte)s.Definition.ElementType;
            BinaryPrimitives.WriteInt64LittleEndian(e[0x38..], s.ChangesInode);
            BinaryPrimitives.WriteInt64LittleEndian(e[0x40..], s.RowsInode);
            BinaryPrimitives.WriteInt64LittleEndian(e[0x48..], s.IndexInode);
            BinaryPrimitives.WriteInt64LittleEndian(e[0x50..], s.IndexGeneration);
        }

        BlockTail.Seal(block, blockNumber, seed);
    }

    public static (List<VectorSpaceRecord> Spaces, int NextId) Read(ReadOnlySpan<byte> block, long blockNumber, uint seed, long inodeCount)
    {
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), Magic, blockNumber, "vector table");
        BlockTail.Verify(block, blockNumber, seed, "vector table");
        int version = BinaryPrimitives.ReadUInt16LittleEndian(block[0x04..]);
        Corruption.Check(version == Version, blockNumber, "vector table.version", $"version {version} is not supported");
        return ReadEntries(block, blockNumber, inodeCount, salvage: false);
    }

    /// <summary>
    /// Recovers what can be trusted from a damaged table, for fsck: every entry that validates on its own,
    /// ignoring the block's checksum. A space keeps its definition when only an inode it names is wrong (outside
    /// the inode table, or another space's rows inode): that reference becomes 0.
    /// </summary>
    public static (List<VectorSpaceRecord> Spaces, int NextId) Salvage(ReadOnlySpan<byte> block, long blockNumber, long inodeCount) =>
        ReadEntries(block, blockNumber, inodeCount, salvage: true);

    private static (List<VectorSpaceRecord> Spaces, int NextId) ReadEntries(ReadOnlySpan<byte> block, long blockNumber, long inodeCount, bool salvage)
    {
        int count = BinaryPrimitives.ReadUInt16LittleEndian(block[0x06..]);
        int nextId = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(block[0x08..]), int.MaxValue);
        if (salvage)
        {
            count = Math.Min(count, Capacity(block.Length));
        }

        Corruption.Check(count <= Capacity(block.Length), blockNumber, "vector table.spaces", $"{count} exceeds {Capacity(block.Length)}");
        var spaces = new List<VectorSpaceRecord>(count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var inodes = new HashSet<long>();
        for (int i = 0; i < count; i++)
        {
            string field = $"vector table.space[{i}]";
            var e = block.Slice(HeaderSize + (i * EntrySize), EntrySize);
            var definition = new VectorSpaceDefinition(
                Encoding.UTF8.GetString(e[..NameSize].TrimEnd((byte)0)),
                BinaryPrimitives.ReadUInt16LittleEndian(e[0x34..]),
                (VectorMetric)e[0x36],
                (VectorElementType)e[0x37]);
            var record = new VectorSpaceRecord(
                (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(e[0x30..]), int.MaxValue),
                definition,
                BinaryPrimitives.ReadInt64LittleEndian(e[0x40..]),
                BinaryPrimitives.ReadInt64LittleEndian(e[0x48..]),
                BinaryPrimitives.ReadInt64LittleEndian(e[0x38..]),
                BinaryPrimitives.ReadInt64LittleEndian(e[0x50..]));
            if (salvage)
            {
                record = record with
                {
                    RowsInode = record.RowsInode < 0 || record.RowsInode > inodeCount || inodes.Contains(record.RowsInode) ? 0 : record.RowsInode,
                    IndexInode = record.IndexInode < 0 || record.IndexInode > inodeCount ? 0 : record.IndexInode,
                    ChangesInode = record.ChangesInode < 0 || record.ChangesInode > inodeCount ? 0 : record.ChangesInode,
                    IndexGeneration = Math.Max(record.IndexGeneration, 0),
                };
            }

            string? problem = definition.Problem()
                ?? (names.Contains(definition.Name) ? $"'{definition.Name}' appears twice" : null)
                ?? (record.Id >= nextId && !salvage ? $"id {record.Id} is not below the next id {nextId}" : null)
                ?? (record.Id == int.MaxValue ? $"id {record.Id} leaves no id for the next space" : null)
                ?? (record.RowsInode < 0 || record.RowsInode > inodeCount ? $"rows inode {record.RowsInode} is outside the inode table" : null)
                ?? (record.IndexInode < 0 || record.IndexInode > inodeCount ? $"index inode {record.IndexInode} is outside the inode table" : null)
                ?? (record.ChangesInode < 0 || record.ChangesInode > inodeCount ? $"changes inode {record.ChangesInode} is outside the inode table" : null)
                ?? (record.IndexGeneration < 0 ? $"index generation {record.IndexGeneration} is negative" : null)
                ?? (record.RowsInode != 0 && !inodes.Add(record.RowsInode) ? $"rows inode {record.RowsInode} belongs to two spaces" : null);
            if (problem is not null)
            {
                Corruption.Check(salvage, blockNumber, field, problem);
                continue;
            }

            names.Add(definition.Name);
            spaces.Add(record);
        }

        return (spaces, salvage ? Math.Max(nextId, spaces.Select(s => s.Id + 1).DefaultIfEmpty(1).Max()) : nextId);
    }
}
