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
        Read(root[..Inode.RootSize], CapacityOf(Inode.RootSize, isRoot: true), owner, blockCount, inodeBlock, new NodeName(owner, IsRoot: true));

    public static ExtentNode ReadBlock(ReadOnlySpan<byte> block, long blockNumber, long owner, long blockCount, uint seed)
    {
        BlockTail.Verify(block, blockNumber, seed, "extent node");
        return Read(block, CapacityOf(block.Length, isRoot: false), owner, blockCount, blockNumber, new NodeName(owner, IsRoot: false));
    }

    /// <summary>One step of a lookup of <paramref name="fileBlock"/> from the root in an inode's bytes; see <see cref="Locate"/>.</summary>
    public static ExtentStep LocateInRoot(ReadOnlySpan<byte> root, long owner, long blockCount, long inodeBlock, long fileBlock) =>
        Locate(root[..Inode.RootSize], CapacityOf(Inode.RootSize, isRoot: true), owner, blockCount, inodeBlock, new NodeName(owner, IsRoot: true), fileBlock);

    /// <summary>One step of a lookup of <paramref name="fileBlock"/> in a node block (checksum verified); see <see cref="Locate"/>.</summary>
    public static ExtentStep LocateInBlock(ReadOnlySpan<byte> block, long blockNumber, long owner, long blockCount, uint seed, long fileBlock)
    {
        BlockTail.Verify(block, blockNumber, seed, "extent node");
        return Locate(block, CapacityOf(block.Length, isRoot: false), owner, blockCount, blockNumber, new NodeName(owner, IsRoot: false), fileBlock);
    }

    /// <summary>
    /// Looks up one file block in a node's bytes without decoding the node: the header is checked, the entries
    /// are binary-searched by first file block, and only the entry chosen is checked in full. A leaf gives the
    /// extent holding the block (none for a hole), an index node the child whose subtree would hold it.
    /// </summary>
    private static ExtentStep Locate(ReadOnlySpan<byte> b, int capacity, long owner, long blockCount, long block, NodeName name, long fileBlock)
    {
        var (count, depth) = ReadHeader(b, capacity, owner, block, name);
        int lo = 0;
        int hi = count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (BinaryPrimitives.ReadInt64LittleEndian(b[(HeaderSize + (mid * EntrySize))..]) <= fileBlock)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // hi: the last entry starting at or before the block.
        if (hi < 0)
        {
            return new ExtentStep(depth, null, 0);
        }

        var e = b.Slice(HeaderSize + (hi * EntrySize), EntrySize);
        if (depth > 0)
        {
            return new ExtentStep(depth, null, ReadChild(e, blockCount, block, name, hi).Child);
        }

        var extent = ReadExtent(e, blockCount, block, name, hi);
        return new ExtentStep(0, fileBlock < extent.LogicalEnd ? extent : null, 0);
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

    private static ExtentNode Read(ReadOnlySpan<byte> b, int capacity, long owner, long blockCount, long block, NodeName name)
    {
        var (count, depth) = ReadHeader(b, capacity, owner, block, name);
        var node = new ExtentNode { Depth = depth, Owner = owner };
        long previousEnd = 0;
        for (int i = 0; i < count; i++)
        {
            var e = b.Slice(HeaderSize + (i * EntrySize), EntrySize);
            long logical = BinaryPrimitives.ReadInt64LittleEndian(e);
            Corruption.Check(logical >= previousEnd, block, $"{name}.entry[{i}].logical", $"file block {logical} overlaps or precedes the entry before it");
            if (depth == 0)
            {
                var extent = ReadExtent(e, blockCount, block, name, i);
                node.Extents.Add(extent);
                previousEnd = extent.LogicalEnd;
            }
            else
            {
                node.Children.Add(ReadChild(e, blockCount, block, name, i));
                previousEnd = logical + 1;
            }
        }

        return node;
    }

    private static (int Count, int Depth) ReadHeader(ReadOnlySpan<byte> b, int capacity, long owner, long block, NodeName name)
    {
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(b);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(b[0x02..]);
        int storedCapacity = BinaryPrimitives.ReadUInt16LittleEndian(b[0x04..]);
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(b[0x06..]);
        long storedOwner = BinaryPrimitives.ReadInt64LittleEndian(b[0x08..]);
        if (magic != Magic || storedCapacity != capacity || count > capacity || depth > MaxDepth || storedOwner != owner)
        {
            // The messages are built only for a header that fails; a valid one costs one test.
            Corruption.Check(magic == Magic, block, $"{name}.magic", $"0x{magic:X4} is not the extent magic");
            Corruption.Check(storedCapacity == capacity, block, $"{name}.capacity", $"{storedCapacity}, expected {capacity}");
            Corruption.Check(count <= capacity, block, $"{name}.entries", $"{count} exceeds the capacity {capacity}");
            Corruption.Check(depth <= MaxDepth, block, $"{name}.depth", $"{depth} exceeds the maximum {MaxDepth}");
            Corruption.Check(storedOwner == owner, block, $"{name}.owner", $"belongs to inode {storedOwner}, not {owner}");
        }

        return (count, depth);
    }

    private static Extent ReadExtent(ReadOnlySpan<byte> e, long blockCount, long block, NodeName name, int i)
    {
        long logical = BinaryPrimitives.ReadInt64LittleEndian(e);
        long physical = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
        if (length is < 1 or > int.MaxValue || physical < 1 || physical > blockCount - length || logical < 0 || logical > long.MaxValue - length || (flags & ~UnwrittenFlag) != 0)
        {
            Corruption.Check(length is >= 1 and <= int.MaxValue, block, $"{name}.entry[{i}].length", $"{length} blocks is not a valid extent length");
            Corruption.Check(physical >= 1 && physical <= blockCount - length, block, $"{name}.entry[{i}].physical", $"{length} blocks at {physical} run outside the filesystem");
            Corruption.Check(logical >= 0 && logical <= long.MaxValue - length, block, $"{name}.entry[{i}].logical", $"file block {logical} + {length} overflows");
            Corruption.Check((flags & ~UnwrittenFlag) == 0, block, $"{name}.entry[{i}].flags", $"unknown flags 0x{flags:X}");
        }

        return new Extent(logical, physical, (int)length, (flags & UnwrittenFlag) != 0);
    }

    private static ExtentIndex ReadChild(ReadOnlySpan<byte> e, long blockCount, long block, NodeName name, int i)
    {
        long logical = BinaryPrimitives.ReadInt64LittleEndian(e);
        long child = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
        Corruption.Check(child >= 1 && child < blockCount, block, $"{name}.entry[{i}].child", $"block {child} is outside the filesystem");
        Corruption.Check(BinaryPrimitives.ReadInt64LittleEndian(e[16..]) == 0, block, $"{name}.entry[{i}].reserved", "is not zero");
        return new ExtentIndex(logical, child);
    }

    /// <summary>How a node is named in errors, formatted only when a check fails.</summary>
    private readonly record struct NodeName(long Owner, bool IsRoot)
    {
        public override string ToString() => IsRoot ? $"inode {Owner}.extent_root" : "extent node";
    }
}

/// <summary>One step of a lookup in an extent tree: at a leaf (<paramref name="Depth"/> 0) the extent found, if any; above, the child block to read next (0: none).</summary>
internal readonly record struct ExtentStep(int Depth, Extent? Extent, long Child);
