using CommunityToolkit.HighPerformance.Buffers;
using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Reads and grows an inode's extent tree: maps file blocks to device blocks, and inserts extents, merging
/// with a contiguous neighbour, splitting full nodes and deepening the tree when the root in the inode fills.
/// </summary>
internal sealed class ExtentTree(IBlockStore store, Allocator allocator)
{
    private readonly int _blockCapacity = ExtentNode.CapacityOf(store.BlockSize, isRoot: false);
    private readonly int _rootCapacity = ExtentNode.CapacityOf(Inode.RootSize, isRoot: true);

    private Superblock Sb => allocator.Superblock;

    /// <summary>The extent holding <paramref name="fileBlock"/>, or null for a hole.</summary>
    public Extent? Find(Inode inode, long owner, long fileBlock)
    {
        var step = ExtentNode.LocateInRoot(inode.Root, owner, Sb.BlockCount, owner, fileBlock);
        if (step.Depth == 0 || step.Child == 0)
        {
            return step.Extent;
        }

        using var buffer = SpanOwner<byte>.Allocate(store.BlockSize);
        for (int level = 1; step.Depth > 0 && step.Child != 0; level++)
        {
            long block = step.Child;
            Corruption.Check(level <= ExtentNode.MaxDepth, block, "extent node.depth", "the tree is deeper than its root says");
            store.Read(block, buffer.Span);
            int parentDepth = step.Depth;
            step = ExtentNode.LocateInBlock(buffer.Span, block, owner, Sb.BlockCount, Sb.ChecksumSeed, fileBlock);
            Corruption.Check(step.Depth == parentDepth - 1, block, "extent node.depth", $"{step.Depth} under a node of depth {parentDepth}");
        }

        return step.Extent;
    }

    /// <summary>The device block holding <paramref name="fileBlock"/>; throws for a hole.</summary>
    public long Map(Inode inode, long owner, long fileBlock)
    {
        var e = Require(inode, owner, fileBlock);
        return e.Physical + (fileBlock - e.Logical);
    }

    /// <summary>The extent holding <paramref name="fileBlock"/>, which a file with no holes must have; throws for a hole.</summary>
    public Extent Require(Inode inode, long owner, long fileBlock) =>
        Find(inode, owner, fileBlock) ?? throw new InvalidFileSystemException(owner, $"inode {owner}.extents", $"file block {fileBlock} is not mapped");

    /// <summary>Every extent, in file order.</summary>
    public List<Extent> All(Inode inode, long owner)
    {
        var result = new List<Extent>();
        CollectWithBlocks(ExtentNode.ReadRoot(inode.Root, owner, Sb.BlockCount, owner), owner, result, []);
        return result;
    }

    /// <summary>
    /// Adds <paramref name="extent"/>, which must not overlap a mapped block; returns the inode with its new
    /// root and with the tree blocks it allocated charged to it.
    /// </summary>
    public Inode Insert(Inode inode, long owner, Extent extent)
    {
        var root = ExtentNode.ReadRoot(inode.Root, owner, Sb.BlockCount, owner);
        int allocated = 0;
        InsertInto(root, -1, owner, extent, ref allocated);
        if (root.Count > _rootCapacity)
        {
            // The root moves into a block of its own and becomes an index one level higher.
            long block = NewTreeBlock(extent.Physical, ref allocated);
            var moved = new ExtentNode { Depth = root.Depth, Owner = owner, Extents = root.Extents, Children = root.Children };
            WriteNode(moved, block);
            long first = moved.IsLeaf ? moved.Extents[0].Logical : moved.Children[0].Logical;
            root = new ExtentNode { Depth = root.Depth + 1, Owner = owner, Children = [new ExtentIndex(first, block)] };
            if (root.Depth > ExtentNode.MaxDepth)
            {
                throw new VexFsException(VexErrorKind.NoSpace, $"The extent tree of inode {owner} is too deep; the file is too fragmented.");
            }
        }

        var bytes = new byte[Inode.RootSize];
        root.WriteRoot(bytes);
        return inode with { Root = bytes, Blocks = inode.Blocks + allocated };
    }

    /// <summary>
    /// Unmaps every file block from <paramref name="firstBlock"/> on, freeing the data blocks and rebuilding the
    /// tree from the extents that remain; returns the inode with its root and charged blocks updated.
    /// </summary>
    public Inode RemoveFrom(Inode inode, long owner, long firstBlock)
    {
        var root = ExtentNode.ReadRoot(inode.Root, owner, Sb.BlockCount, owner);
        var treeBlocks = new List<long>();
        var all = new List<Extent>();
        CollectWithBlocks(root, owner, all, treeBlocks);
        var kept = new List<Extent>();
        long freed = 0;
        foreach (var extent in all)
        {
            if (extent.LogicalEnd <= firstBlock)
            {
                kept.Add(extent);
                continue;
            }

            int keep = (int)Math.Max(0, firstBlock - extent.Logical);
            allocator.FreeBlocks(extent.Physical + keep, extent.Length - keep);
            freed += extent.Length - keep;
            if (keep > 0)
            {
                kept.Add(extent with { Length = keep });
            }
        }

        if (freed == 0)
        {
            return inode;
        }

        return Rebuild(inode with { Blocks = inode.Blocks - freed }, owner, treeBlocks, kept);
    }

    /// <summary>
    /// Marks file blocks <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> as
    /// written where they are unwritten (preallocated) extents: each such extent leaves its leaf and comes back
    /// as up to three pieces (unwritten, written, unwritten), the written one merging with a written neighbour
    /// before it. Only the leaves on the way are rewritten, whatever the size of the tree; returns the inode
    /// with its root and charged blocks updated.
    /// </summary>
    public Inode MarkWritten(Inode inode, long owner, long first, long count)
    {
        long end = first + count;
        for (long at = first; at < end;)
        {
            if (Find(inode, owner, at) is not { } extent)
            {
                at++;
                continue;
            }

            long to = Math.Min(end, extent.LogicalEnd);
            if (extent.Unwritten)
            {
                long from = Math.Max(first, extent.Logical);
                inode = RemoveExtent(inode, owner, extent);
                if (from > extent.Logical)
                {
                    inode = Insert(inode, owner, extent with { Length = (int)(from - extent.Logical) });
                }

                inode = Insert(inode, owner, new Extent(from, extent.Physical + (from - extent.Logical), (int)(to - from)));
                if (to < extent.LogicalEnd)
                {
                    inode = Insert(inode, owner, new Extent(to, extent.Physical + (to - extent.Logical), (int)(extent.LogicalEnd - to), Unwritten: true));
                }
            }

            at = to;
        }

        return inode;
    }

    /// <summary>
    /// Takes <paramref name="extent"/> out of the leaf that holds it, rewriting that leaf alone (or the root in
    /// the inode); the leaf may be left empty for the caller to fill again at once.
    /// </summary>
    private Inode RemoveExtent(Inode inode, long owner, Extent extent)
    {
        var root = ExtentNode.ReadRoot(inode.Root, owner, Sb.BlockCount, owner);
        var node = root;
        long block = -1;
        while (!node.IsLeaf)
        {
            block = node.Children[Math.Max(0, node.Children.FindLastIndex(c => c.Logical <= extent.Logical))].Child;
            node = ReadNode(block, owner);
        }

        Corruption.Check(node.Extents.Remove(extent), block < 0 ? owner : block, $"inode {owner}.extents", $"the extent at file block {extent.Logical} is not in the leaf that should hold it");
        if (block >= 0)
        {
            WriteNode(node, block);
            return inode;
        }

        var bytes = new byte[Inode.RootSize];
        root.WriteRoot(bytes);
        return inode with { Root = bytes };
    }

    /// <summary>Frees the tree blocks and inserts <paramref name="extents"/> (in file order) into a new tree.</summary>
    private Inode Rebuild(Inode inode, long owner, List<long> treeBlocks, List<Extent> extents)
    {
        treeBlocks.ForEach(b => allocator.FreeBlocks(b, 1));
        var rebuilt = new byte[Inode.RootSize];
        ExtentNode.EmptyRoot(owner).WriteRoot(rebuilt);
        inode = inode with { Root = rebuilt, Blocks = inode.Blocks - treeBlocks.Count };
        foreach (var extent in extents)
        {
            inode = Insert(inode, owner, extent);
        }

        return inode;
    }

    private void CollectWithBlocks(ExtentNode node, long owner, List<Extent> extents, List<long> treeBlocks)
    {
        if (node.IsLeaf)
        {
            extents.AddRange(node.Extents);
            return;
        }

        foreach (var child in node.Children)
        {
            treeBlocks.Add(child.Child);
            CollectWithBlocks(ReadNode(child.Child, owner), owner, extents, treeBlocks);
        }
    }

    private ExtentIndex? InsertInto(ExtentNode node, long nodeBlock, long owner, Extent extent, ref int allocated)
    {
        if (node.IsLeaf)
        {
            AddToLeaf(node, extent, owner);
        }
        else
        {
            int i = Math.Max(0, node.Children.FindLastIndex(c => c.Logical <= extent.Logical));
            var childIndex = node.Children[i];
            var child = ReadNode(childIndex.Child, owner);
            var split = InsertInto(child, childIndex.Child, owner, extent, ref allocated);
            if (extent.Logical < childIndex.Logical)
            {
                node.Children[i] = childIndex with { Logical = extent.Logical };
            }

            if (split is { } s)
            {
                node.Children.Insert(i + 1, s);
            }
        }

        if (nodeBlock < 0)
        {
            return null;
        }

        if (node.Count <= _blockCapacity)
        {
            WriteNode(node, nodeBlock);
            return null;
        }

        int half = node.Count / 2;
        var right = new ExtentNode
        {
            Depth = node.Depth,
            Owner = owner,
            Extents = node.IsLeaf ? node.Extents.GetRange(half, node.Count - half) : [],
            Children = node.IsLeaf ? [] : node.Children.GetRange(half, node.Count - half),
        };
        if (node.IsLeaf)
        {
            node.Extents.RemoveRange(half, node.Extents.Count - half);
        }
        else
        {
            node.Children.RemoveRange(half, node.Children.Count - half);
        }

        long rightBlock = NewTreeBlock(nodeBlock, ref allocated);
        WriteNode(node, nodeBlock);
        WriteNode(right, rightBlock);
        return new ExtentIndex(right.IsLeaf ? right.Extents[0].Logical : right.Children[0].Logical, rightBlock);
    }

    private static void AddToLeaf(ExtentNode leaf, Extent extent, long owner)
    {
        int at = leaf.Extents.FindIndex(e => e.Logical > extent.Logical);
        at = at < 0 ? leaf.Extents.Count : at;
        if ((at > 0 && leaf.Extents[at - 1].LogicalEnd > extent.Logical) || (at < leaf.Extents.Count && extent.LogicalEnd > leaf.Extents[at].Logical))
        {
            throw new InvalidOperationException($"Extent at file block {extent.Logical} of inode {owner} overlaps a mapped block.");
        }

        if (at > 0)
        {
            var previous = leaf.Extents[at - 1];
            if (previous.LogicalEnd == extent.Logical && previous.Physical + previous.Length == extent.Physical
                && previous.Unwritten == extent.Unwritten && (long)previous.Length + extent.Length <= int.MaxValue)
            {
                leaf.Extents[at - 1] = previous with { Length = previous.Length + extent.Length };
                return;
            }
        }

        leaf.Extents.Insert(at, extent);
    }

    private long NewTreeBlock(long goal, ref int allocated)
    {
        var (block, _) = allocator.AllocateBlocks(goal, 1);
        allocated++;
        return block;
    }

    private ExtentNode ReadNode(long block, long owner)
    {
        using var buffer = SpanOwner<byte>.Allocate(store.BlockSize);
        store.Read(block, buffer.Span);
        return ExtentNode.ReadBlock(buffer.Span, block, owner, Sb.BlockCount, Sb.ChecksumSeed);
    }

    private void WriteNode(ExtentNode node, long block)
    {
        using var buffer = SpanOwner<byte>.Allocate(store.BlockSize, AllocationMode.Clear);
        node.WriteBlock(buffer.Span, block, Sb.ChecksumSeed);
        store.Write(block, buffer.Span);
    }
}
