using System.Buffers.Binary;

namespace VexFs.Format.Records;

/// <summary>A run of <paramref name="Length"/> file blocks from <paramref name="Logical"/> stored at <paramref name="Physical"/>.</summary>
/// <param name="Logical">The first file block.</param>
/// <param name="Physical">The first device block.</param>
/// <param name="Length">The number of blocks.</param>
/// <param name="Unwritten">Allocated but never written (fallocate): reads as zeros.</param>
internal readonly record struct Extent(long Logical, long Physical, int Length, bool Unwritten = false)
{
    public long LogicalEnd => Logical + Length;
}

/// <summary>An index entry: the subtree rooted at <paramref name="Child"/> maps file blocks from <paramref name="Logical"/> on.</summary>
internal readonly record struct ExtentIndex(long Logical, long Child);

/// <summary>
/// A node of an inode's extent tree: the root lives in the inode (4 entries), deeper nodes fill a block.
/// Leaves (depth 0) hold extents; index nodes hold children, sorted by first file block.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u16 magic 0xE58A    0x02 u16 entries    0x04 u16 capacity    0x06 u16 depth (0: leaf)
/// 0x08 u64 owner inode
/// 0x10 entries, 24 bytes each:
///      leaf:  u64 first file block, u64 first device block, u32 length, u32 flags (1: unwritten)
///      index: u64 first file block, u64 child block, u64 zero
/// block nodes end with u32 CRC32C (seed, block number, node)
/// </code>
/// </remarks>
internal sealed class ExtentNode
{
    public const ushort Magic = 0xE58A;
    public const int HeaderSize = 0x10;
    public const int EntrySize = 24;
    public const int MaxDepth = 5;
    private const uint UnwrittenFlag = 1;

    public int Depth { get; init; }

    public long Owner { get; init; }

    public List<Extent> Extents { get; init; } = [];

    public List<ExtentIndex> Children { get; init; } = [];

    public bool IsLeaf => Depth == 0;

    public int Count => IsLeaf ? Extents.Count : Children.Count;

    /// <summary>The entries a node fits in <paramref name="bytes"/> (the inode root, or a block with its checksum).</summary>
    public static int CapacityOf(int bytes, bool isRoot) => (bytes - HeaderSize - (isRoot ? 0 : sizeof(uint))) / EntrySize;

    /// <summary>The root of an empty file.</summary>
    public static ExtentNode EmptyRoot(long owner) => new() { Owner = owner };

    public void WriteRoot(Span<byte> root) => Write(root[..Inode.RootSize], CapacityOf(Inode.RootSize, isRoot: true));

    public void WriteBlock(Span<byte> block, long blockNumber, uint seed)
    {
        block.Clear();
        Write(block, CapacityOf(block.Length, isRoot: false));
        BlockTail.Seal(block, blockNumber, seed);
    }

    public static ExtentNode ReadRoot(ReadOnlySpan<byte> root, long owner, long blockCount, long inodeBlock) =>
        Read(root[..Inode.RootSize], CapacityOf(Inode.RootSize, isRoot: true), owner, blockCount, inodeBlock, $"inode {owner}.extent_root");

    public static ExtentNode ReadBlock(ReadOnlySpan<byte> block, long blockNumber, long owner, long blockCount, uint seed)
    {
        BlockTail.Verify(block, blockNumber, seed, "extent node");
        return Read(block, CapacityOf(block.Length, isRoot: false), owner, blockCount, blockNumber, "extent node");
    }

    private void Write(Span<byte> b, int capacity)
    {
        if (Count > capacity)
        {
            throw new ArgumentException($"{Count} entries do not fit an extent node of {capacity}.");
        }

        b[..HeaderSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x02..], (ushort)Count);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x04..], (ushort)capacity);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x06..], (ushort)Depth);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x08..], Owner);
        for (int i = 0; i < Count; i++)
        {
            var e = b.Slice(HeaderSize + (i * EntrySize), EntrySize);
            if (IsLeaf)
            {
                BinaryPrimitives.WriteInt64LittleEndian(e, Extents[i].Logical);
                BinaryPrimitives.WriteInt64LittleEndian(e[8..], Extents[i].Physical);
                BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)Extents[i].Length);
                BinaryPrimitives.WriteUInt32LittleEndian(e[20..], Extents[i].Unwritten ? UnwrittenFlag : 0);
            }
            else
            {
                BinaryPrimitives.WriteInt64LittleEndian(e, Children[i].Logical);
                BinaryPrimitives.WriteInt64LittleEndian(e[8..], Children[i].Child);
                BinaryPrimitives.WriteInt64LittleEndian(e[16..], 0);
            }
        }
    }

    private static ExtentNode Read(ReadOnlySpan<byte> b, int capacity, long owner, long blockCount, long block, string field)
    {
        Corruption.Check(BinaryPrimitives.ReadUInt16LittleEndian(b) == Magic, block, $"{field}.magic", $"0x{BinaryPrimitives.ReadUInt16LittleEndian(b):X4} is not the extent magic");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(b[0x02..]);
        int storedCapacity = BinaryPrimitives.ReadUInt16LittleEndian(b[0x04..]);
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(b[0x06..]);
        long storedOwner = BinaryPrimitives.ReadInt64LittleEndian(b[0x08..]);
        Corruption.Check(storedCapacity == capacity, block, $"{field}.capacity", $"{storedCapacity}, expected {capacity}");
        Corruption.Check(count <= capacity, block, $"{field}.entries", $"{count} exceeds the capacity {capacity}");
        Corruption.Check(depth <= MaxDepth, block, $"{field}.depth", $"{depth} exceeds the maximum {MaxDepth}");
        Corruption.Check(storedOwner == owner, block, $"{field}.owner", $"belongs to inode {storedOwner}, not {owner}");
        var node = new ExtentNode { Depth = depth, Owner = owner };
        long previousEnd = 0;
        for (int i = 0; i < count; i++)
        {
            var e = b.Slice(HeaderSize + (i * EntrySize), EntrySize);
            long logical = BinaryPrimitives.ReadInt64LittleEndian(e);
            long physical = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
            Corruption.Check(logical >= previousEnd, block, $"{field}.entry[{i}].logical", $"file block {logical} overlaps or precedes the entry before it");
            if (depth == 0)
            {
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
                Corruption.Check(length is >= 1 and <= int.MaxValue, block, $"{field}.entry[{i}].length", $"{length} blocks is not a valid extent length");
                Corruption.Check(physical >= 1 && physical <= blockCount - length, block, $"{field}.entry[{i}].physical", $"{length} blocks at {physical} run outside the filesystem");
                Corruption.Check(logical <= long.MaxValue - length, block, $"{field}.entry[{i}].logical", $"file block {logical} + {length} overflows");
                Corruption.Check((flags & ~UnwrittenFlag) == 0, block, $"{field}.entry[{i}].flags", $"unknown flags 0x{flags:X}");
                node.Extents.Add(new Extent(logical, physical, (int)length, (flags & UnwrittenFlag) != 0));
                previousEnd = logical + length;
            }
            else
            {
                Corruption.Check(physical >= 1 && physical < blockCount, block, $"{field}.entry[{i}].child", $"block {physical} is outside the filesystem");
                Corruption.Check(BinaryPrimitives.ReadInt64LittleEndian(e[16..]) == 0, block, $"{field}.entry[{i}].reserved", "is not zero");
                node.Children.Add(new ExtentIndex(logical, physical));
                previousEnd = logical + 1;
            }
        }

        return node;
    }
}
