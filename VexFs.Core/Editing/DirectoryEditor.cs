using System.Text;
using CommunityToolkit.HighPerformance.Buffers;
using VexFs.Core.Caching;
using VexFs.Format;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Looks up, adds and removes names in a directory's hash tree. A full leaf splits at a hash boundary into a
/// new block appended to the directory; a full index node splits the same way; a full root pushes its
/// entries one level down, so lookups stay at depth + 2 block reads however large the directory grows.
/// </summary>
/// <remarks>
/// Names found are remembered in a bounded cache (as the kernel's dentry cache does) until they are removed;
/// the cache belongs to this editor, which is thrown away with it when an operation fails.
/// </remarks>
internal sealed class DirectoryEditor(IBlockStore store, Allocator allocator, ExtentTree extents, int nameCacheEntries = 0, IInodeObserver? observer = null)
{
    /// <summary>Directory blocks read together when one has to come from the device.</summary>
    public const int ReadaheadBlocks = 32;

    private readonly LruCache<(long Directory, string Name), DirectoryEntry> _names = new(nameCacheEntries);

    private Superblock Sb => allocator.Superblock;

    private int BlockSize => store.BlockSize;

    /// <summary>Writes an empty directory (an index root and one leaf) for a new inode; returns it with its blocks.</summary>
    public Inode CreateEmpty(long number, long parent, Inode inode)
    {
        inode = inode with { Root = EmptyRoot(number), Size = 0, Blocks = 0 };
        long root = AppendBlock(number, ref inode);
        long leaf = AppendBlock(number, ref inode);
        WriteIndex(new DirectoryIndex { IsRoot = true, Owner = number, Parent = parent, Entries = [new IndexEntry(0, 1)] }, root);
        WriteLeaf(leaf, number, []);
        return inode;
    }

    /// <summary>The entry <paramref name="name"/> of <paramref name="dir"/> if the name cache holds it.</summary>
    public bool TryCached(long dir, string name, out DirectoryEntry entry) => _names.TryGet((dir, name), out entry);

    public DirectoryEntry? Lookup(long dir, Inode inode, string name)
    {
        if (_names.TryGet((dir, name), out var cached))
        {
            return cached;
        }

        ulong hash = DirectoryHash.Of(name, Sb.HashSeed);
        using var buffer = SpanOwner<byte>.Allocate(BlockSize);
        long fileBlock = RouteToLeaf(dir, inode, hash, buffer.Span);
        long leafBlock = ReadBlock(dir, inode, fileBlock, buffer.Span);
        var found = DirectoryLeaf.Find(buffer.Span, leafBlock, dir, Sb.ChecksumSeed, hash, name, Sb.InodeCount);
        if (found is { } entry)
        {
            _names.Set((dir, name), entry);
        }

        return found;
    }

    /// <summary>Every entry whose hash is at least <paramref name="fromHash"/>, in hash order, reading only the leaves that hold them.</summary>
    public IEnumerable<DirectoryEntry> Enumerate(long dir, Inode inode, ulong fromHash = 0)
    {
        // The whole map of the directory's blocks, read once: a walk of every leaf then looks each one up in it
        // rather than descending the extent tree (and verifying its nodes) once per leaf.
        var map = extents.All(inode, dir);
        var root = ReadIndex(0, dir, inode, isRoot: true, map);
        return EnumerateIndex(dir, inode, root, fromHash, map);
    }

    /// <summary>Adds an entry; returns the directory inode, grown when a block was added.</summary>
    /// <remarks>The leaf is edited in place on its bytes; only a leaf that must split is decoded.</remarks>
    public Inode Insert(long dir, Inode inode, string name, long target, UnixFileType type)
    {
        DirectoryNames.Validate(name, nameof(name));
        Span<byte> utf8 = stackalloc byte[DirectoryNames.MaxBytes];
        utf8 = utf8[..Encoding.UTF8.GetBytes(name, utf8)];
        ulong hash = DirectoryHash.Of(utf8, Sb.HashSeed);
        using var buffer = SpanOwner<byte>.Allocate(BlockSize);
        long leafBlock = ReadBlock(dir, inode, RouteToLeaf(dir, inode, hash, buffer.Span), buffer.Span);
        switch (DirectoryLeaf.TryInsert(buffer.Span, leafBlock, dir, Sb.ChecksumSeed, hash, utf8, target, type))
        {
            case LeafEdit.Done:
                store.Write(leafBlock, buffer.Span);
                observer?.Linked(dir, name, target, type);
                return inode;
            case LeafEdit.Exists:
                throw new VexFsException(VexErrorKind.AlreadyExists, $"'{name}' already exists in directory {dir}.");
        }

        var entry = new DirectoryEntry(name, target, type, hash);
        var entries = DirectoryLeaf.Read(buffer.Span, leafBlock, dir, Sb.ChecksumSeed, Sb.HashSeed, Sb.InodeCount);
        int at = entries.FindIndex(e => DirectoryEntry.Compare(e, entry) > 0);
        entries.Insert(at < 0 ? entries.Count : at, entry);
        int split = SplitPoint(entries, DirectoryLeaf.Capacity(BlockSize));
        long rightFileBlock = inode.Size / BlockSize;
        long rightBlock = AppendBlock(dir, ref inode);
        WriteLeaf(leafBlock, dir, entries.GetRange(0, split));
        WriteLeaf(rightBlock, dir, entries.GetRange(split, entries.Count - split));
        // Only a split needs the index nodes decoded, to add the new leaf to them.
        var (path, _) = Descend(dir, inode, hash);
        inode = InsertIndexEntry(dir, inode, path, new IndexEntry(entries[split].Hash, rightFileBlock));
        observer?.Linked(dir, name, target, type);
        return inode;
    }

    /// <summary>Removes <paramref name="name"/>; returns the entry removed, or null when there was none.</summary>
    public DirectoryEntry? Remove(long dir, Inode inode, string name)
    {
        ulong hash = DirectoryHash.Of(name, Sb.HashSeed);
        using var buffer = SpanOwner<byte>.Allocate(BlockSize);
        long leafBlock = ReadBlock(dir, inode, RouteToLeaf(dir, inode, hash, buffer.Span), buffer.Span);
        var removed = DirectoryLeaf.TryRemove(buffer.Span, leafBlock, dir, Sb.ChecksumSeed, hash, name, Sb.InodeCount);
        if (removed is not null)
        {
            _names.Remove((dir, name));
            store.Write(leafBlock, buffer.Span);
            observer?.Unlinked(dir, name, removed.Value.Inode);
        }

        return removed;
    }

    /// <summary>Changes the parent ('..') a directory names.</summary>
    public void SetParent(long dir, Inode inode, long parent)
    {
        var root = ReadIndex(0, dir, inode, isRoot: true);
        WriteIndex(new DirectoryIndex { IsRoot = true, Depth = root.Depth, Owner = dir, Parent = parent, Entries = root.Entries }, extents.Map(inode, dir, 0));
    }

    public long Parent(long dir, Inode inode) => ReadIndex(0, dir, inode, isRoot: true).Parent;

    private static byte[] EmptyRoot(long owner)
    {
        var bytes = new byte[Inode.RootSize];
        ExtentNode.EmptyRoot(owner).WriteRoot(bytes);
        return bytes;
    }

    /// <summary>Splits sorted entries near the middle of their bytes, never inside a run of equal hashes.</summary>
    private static int SplitPoint(List<DirectoryEntry> entries, int capacity)
    {
        int total = entries.Sum(e => e.EncodedSize);
        int best = -1;
        int running = 0;
        for (int i = 1; i < entries.Count; i++)
        {
            running += entries[i - 1].EncodedSize;
            bool boundary = entries[i].Hash != entries[i - 1].Hash;
            if (boundary && running <= capacity && total - running <= capacity
                && (best < 0 || Math.Abs((2 * running) - total) < Math.Abs((2 * Prefix(entries, best)) - total)))
            {
                best = i;
            }
        }

        return best > 0 ? best : throw new VexFsException(VexErrorKind.NoSpace, "Too many names in one directory share a hash value.");
    }

    private static int Prefix(List<DirectoryEntry> entries, int count) => entries.Take(count).Sum(e => e.EncodedSize);

    private Inode InsertIndexEntry(long dir, Inode inode, List<(long FileBlock, DirectoryIndex Node)> path, IndexEntry entry)
    {
        for (int level = path.Count - 1; level >= 0; level--)
        {
            var (fileBlock, node) = path[level];
            int at = node.Entries.FindIndex(e => e.Hash > entry.Hash);
            node.Entries.Insert(at < 0 ? node.Entries.Count : at, entry);
            int capacity = DirectoryIndex.Capacity(BlockSize);
            if (node.Entries.Count <= capacity)
            {
                WriteIndex(node, extents.Map(inode, dir, fileBlock));
                return inode;
            }

            int half = node.Entries.Count / 2;
            var upper = node.Entries.GetRange(half, node.Entries.Count - half);
            ulong separator = upper[0].Hash;
            upper[0] = upper[0] with { Hash = 0 };
            if (node.IsRoot)
            {
                if (node.Depth + 1 > DirectoryIndex.MaxDepth)
                {
                    throw new VexFsException(VexErrorKind.NoSpace, $"Directory {dir} has reached the largest size its index can address.");
                }

                // The root pushes both halves one level down and keeps only the two pointers.
                long leftFileBlock = inode.Size / BlockSize;
                long leftBlock = AppendBlock(dir, ref inode);
                long rightFileBlock = inode.Size / BlockSize;
                long rightBlock = AppendBlock(dir, ref inode);
                WriteIndex(new DirectoryIndex { Depth = node.Depth, Owner = dir, Entries = node.Entries.GetRange(0, half) }, leftBlock);
                WriteIndex(new DirectoryIndex { Depth = node.Depth, Owner = dir, Entries = upper }, rightBlock);
                WriteIndex(new DirectoryIndex { IsRoot = true, Depth = node.Depth + 1, Owner = dir, Parent = node.Parent, Entries = [new IndexEntry(0, leftFileBlock), new IndexEntry(separator, rightFileBlock)] }, extents.Map(inode, dir, fileBlock));
                return inode;
            }

            long newFileBlock = inode.Size / BlockSize;
            long newBlock = AppendBlock(dir, ref inode);
            WriteIndex(new DirectoryIndex { Depth = node.Depth, Owner = dir, Entries = node.Entries.GetRange(0, half) }, extents.Map(inode, dir, fileBlock));
            WriteIndex(new DirectoryIndex { Depth = node.Depth, Owner = dir, Entries = upper }, newBlock);
            entry = new IndexEntry(separator, newFileBlock);
        }

        throw new InvalidOperationException("A directory index path always ends at its root.");
    }

    /// <summary>
    /// The file block of the leaf that holds <paramref name="hash"/>, routed through the index without decoding
    /// it (<paramref name="scratch"/> holds each block read): a lookup reads depth + 2 blocks.
    /// </summary>
    private long RouteToLeaf(long dir, Inode inode, ulong hash, Span<byte> scratch)
    {
        long fileBlock = 0;
        for (int level = 0; ; level++)
        {
            long indexBlock = ReadBlock(dir, inode, fileBlock, scratch);
            var (depth, next) = DirectoryIndex.Route(scratch, indexBlock, level == 0, dir, Sb.ChecksumSeed, inode.Size / BlockSize, hash);
            fileBlock = next;
            if (depth == 0)
            {
                return fileBlock;
            }

            Corruption.Check(level < DirectoryIndex.MaxDepth, indexBlock, "directory index.depth", "the index is deeper than its root says");
        }
    }

    private (List<(long FileBlock, DirectoryIndex Node)> Path, long LeafFileBlock) Descend(long dir, Inode inode, ulong hash)
    {
        var path = new List<(long, DirectoryIndex)>();
        long fileBlock = 0;
        var node = ReadIndex(0, dir, inode, isRoot: true);
        while (true)
        {
            path.Add((fileBlock, node));
            fileBlock = node.Entries[node.Find(hash)].FileBlock;
            if (node.Depth == 0)
            {
                return (path, fileBlock);
            }

            node = ReadIndex(fileBlock, dir, inode, isRoot: false);
        }
    }

    private IEnumerable<DirectoryEntry> EnumerateIndex(long dir, Inode inode, DirectoryIndex node, ulong fromHash, List<Extent> map)
    {
        for (int i = 0; i < node.Entries.Count; i++)
        {
            if (i + 1 < node.Entries.Count && node.Entries[i + 1].Hash <= fromHash)
            {
                continue;
            }

            long fileBlock = node.Entries[i].FileBlock;
            if (node.Depth > 0)
            {
                foreach (var e in EnumerateIndex(dir, inode, ReadIndex(fileBlock, dir, inode, isRoot: false, map), fromHash, map))
                {
                    yield return e;
                }
            }
            else
            {
                foreach (var e in ReadLeaf(fileBlock, dir, inode, fromHash, map))
                {
                    yield return e;
                }
            }
        }
    }

    private long AppendBlock(long dir, ref Inode inode)
    {
        long fileBlock = inode.Size / BlockSize;
        long goal = fileBlock > 0 ? extents.Map(inode, dir, fileBlock - 1) + 1 : allocator.Geometry.GroupStart(allocator.Geometry.LocateInode(dir).Group);
        var (block, _) = allocator.AllocateBlocks(goal, 1);
        inode = extents.Insert(inode, dir, new Extent(fileBlock, block, 1));
        inode = inode with { Size = inode.Size + BlockSize, Blocks = inode.Blocks + 1 };
        return block;
    }

    /// <summary>
    /// Reads directory block <paramref name="fileBlock"/>, found in <paramref name="map"/> (all its extents, in file
    /// order) when given, else in its extent tree; returns its device block. When it has to come from the device,
    /// the aligned window of <see cref="ReadaheadBlocks"/> file blocks around it, within its extent, comes with it:
    /// a directory read cold is read in large pieces rather than a block at a time.
    /// </summary>
    private long ReadBlock(long dir, Inode inode, long fileBlock, Span<byte> buffer, List<Extent>? map = null)
    {
        var extent = map is null ? extents.Require(inode, dir, fileBlock) : Holding(map, dir, fileBlock);
        long block = extent.Physical + (fileBlock - extent.Logical);
        long window = fileBlock / ReadaheadBlocks * ReadaheadBlocks;
        long from = Math.Max(extent.Logical, window);
        long to = Math.Min(extent.LogicalEnd, window + ReadaheadBlocks);
        store.ReadAhead(block, buffer, extent.Physical + (from - extent.Logical), (int)(to - from));
        return block;
    }

    /// <summary>The extent of <paramref name="map"/> that holds <paramref name="fileBlock"/>; a hole is damage, as for <see cref="ExtentTree.Require"/>.</summary>
    private static Extent Holding(List<Extent> map, long dir, long fileBlock)
    {
        int low = 0, high = map.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (map[middle].LogicalEnd <= fileBlock)
            {
                low = middle + 1;
            }
            else if (map[middle].Logical > fileBlock)
            {
                high = middle - 1;
            }
            else
            {
                return map[middle];
            }
        }

        throw new InvalidFileSystemException(dir, $"inode {dir}.extents", $"file block {fileBlock} is not mapped");
    }

    private DirectoryIndex ReadIndex(long fileBlock, long dir, Inode inode, bool isRoot, List<Extent>? map = null)
    {
        using var buffer = SpanOwner<byte>.Allocate(BlockSize);
        long block = ReadBlock(dir, inode, fileBlock, buffer.Span, map);
        return DirectoryIndex.Read(buffer.Span, block, isRoot, dir, Sb.ChecksumSeed, inode.Size / BlockSize, Sb.InodeCount);
    }

    private void WriteIndex(DirectoryIndex index, long block)
    {
        using var buffer = SpanOwner<byte>.Allocate(BlockSize, AllocationMode.Clear);
        index.Write(buffer.Span, block, Sb.ChecksumSeed);
        store.Write(block, buffer.Span);
    }

    /// <summary>The entries of a leaf from <paramref name="fromHash"/> on, for a listing (names checked, hashes left to fsck).</summary>
    private List<DirectoryEntry> ReadLeaf(long fileBlock, long dir, Inode inode, ulong fromHash, List<Extent> map)
    {
        using var buffer = SpanOwner<byte>.Allocate(BlockSize);
        long block = ReadBlock(dir, inode, fileBlock, buffer.Span, map);
        return DirectoryLeaf.Read(buffer.Span, block, dir, Sb.ChecksumSeed, Sb.HashSeed, Sb.InodeCount, fromHash, checkHashes: false);
    }

    private void WriteLeaf(long block, long dir, IReadOnlyList<DirectoryEntry> entries)
    {
        using var buffer = SpanOwner<byte>.Allocate(BlockSize, AllocationMode.Clear);
        DirectoryLeaf.Write(buffer.Span, block, dir, entries, Sb.ChecksumSeed);
        store.Write(block, buffer.Span);
    }
}
