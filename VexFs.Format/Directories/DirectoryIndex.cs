using System.Buffers.Binary;
using VexFs.Format.Records;

namespace VexFs.Format.Directories;

/// <summary>An index entry: hashes from <paramref name="Hash"/> up to the next entry's live in directory block <paramref name="FileBlock"/>.</summary>
internal readonly record struct IndexEntry(ulong Hash, long FileBlock);

/// <summary>
/// An index block of a directory. Block 0 of every directory is the root; with depth d there are d levels of
/// index nodes below it before the leaves. Resolving a name reads depth + 2 blocks.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u32 magic 0x52445856 ("VXDR", root) or 0x4E445856 ("VXDN", node)
/// 0x04 u16 entries    0x06 u16 depth below this block (0: entries point at leaves)    0x08 u32 zero
/// 0x0C u32 zero       0x10 u64 owner inode    0x18 u64 parent inode (root; zero in nodes)
/// 0x20 entries, 16 bytes each: u64 first hash (the first is 0), u64 directory block; hashes increase
/// block end - 4: u32 CRC32C (seed, block number, block)
/// </code>
/// </remarks>
internal sealed class DirectoryIndex
{
    public const uint RootMagic = 0x52445856;
    public const uint NodeMagic = 0x4E445856;
    public const int HeaderSize = 0x20;
    public const int EntrySize = 16;
    public const int MaxDepth = 3;

    public bool IsRoot { get; init; }

    public int Depth { get; init; }

    public long Owner { get; init; }

    public long Parent { get; init; }

    public List<IndexEntry> Entries { get; init; } = [];

    public static int Capacity(int blockSize) => (blockSize - HeaderSize - sizeof(uint)) / EntrySize;

    /// <summary>The entry whose range holds <paramref name="hash"/>.</summary>
    public int Find(ulong hash)
    {
        int lo = 0;
        int hi = Entries.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (Entries[mid].Hash <= hash)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    public void Write(Span<byte> block, long blockNumber, uint seed)
    {
        if (Entries.Count > Capacity(block.Length))
        {
            throw new ArgumentException($"{Entries.Count} index entries do not fit a {block.Length}-byte block.");
        }

        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, IsRoot ? RootMagic : NodeMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x04..], (ushort)Entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x06..], (ushort)Depth);
        BinaryPrimitives.WriteInt64LittleEndian(block[0x10..], Owner);
        BinaryPrimitives.WriteInt64LittleEndian(block[0x18..], IsRoot ? Parent : 0);
        for (int i = 0; i < Entries.Count; i++)
        {
            var e = block.Slice(HeaderSize + (i * EntrySize), EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(e, Entries[i].Hash);
            BinaryPrimitives.WriteInt64LittleEndian(e[8..], Entries[i].FileBlock);
        }

        BlockTail.Seal(block, blockNumber, seed);
    }

    /// <summary>
    /// Where <paramref name="hash"/> goes from this index block, without decoding it: the checksum and header
    /// are verified and the entries binary-searched; only the entry taken is checked in full.
    /// </summary>
    public static (int Depth, long FileBlock) Route(ReadOnlySpan<byte> block, long blockNumber, bool root, long owner, uint seed, long fileBlocks, ulong hash)
    {
        string record = root ? "directory root" : "directory index";
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), root ? RootMagic : NodeMagic, blockNumber, record);
        BlockTail.Verify(block, blockNumber, seed, record);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(block[0x04..]);
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(block[0x06..]);
        bool ownerMatches = BinaryPrimitives.ReadInt64LittleEndian(block[0x10..]) == owner;
        if (count < 1 || count > Capacity(block.Length) || depth > MaxDepth || !ownerMatches)
        {
            Corruption.Check(count >= 1 && count <= Capacity(block.Length), blockNumber, $"{record}.entries", $"{count} is not between 1 and {Capacity(block.Length)}");
            Corruption.Check(depth <= MaxDepth, blockNumber, $"{record}.depth", $"{depth} exceeds {MaxDepth}");
            Corruption.Check(ownerMatches, blockNumber, $"{record}.owner", $"does not belong to inode {owner}");
        }

        int lo = 0;
        int hi = count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (BinaryPrimitives.ReadUInt64LittleEndian(block[(HeaderSize + (mid * EntrySize))..]) <= hash)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        long fileBlock = BinaryPrimitives.ReadInt64LittleEndian(block[(HeaderSize + (lo * EntrySize) + 8)..]);
        Corruption.Check(fileBlock >= 1 && fileBlock < fileBlocks, blockNumber, $"{record}.entry[{lo}].block", $"directory block {fileBlock} is outside the directory's {fileBlocks} blocks");
        return (depth, fileBlock);
    }

    /// <summary>Decodes an index block; <paramref name="fileBlocks"/> bounds the directory blocks it may point at.</summary>
    public static DirectoryIndex Read(ReadOnlySpan<byte> block, long blockNumber, bool root, long owner, uint seed, long fileBlocks, long inodeCount)
    {
        string record = root ? "directory root" : "directory index";
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), root ? RootMagic : NodeMagic, blockNumber, record);
        BlockTail.Verify(block, blockNumber, seed, record);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(block[0x04..]);
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(block[0x06..]);
        long storedOwner = BinaryPrimitives.ReadInt64LittleEndian(block[0x10..]);
        long parent = BinaryPrimitives.ReadInt64LittleEndian(block[0x18..]);
        Corruption.Check(count >= 1 && count <= Capacity(block.Length), blockNumber, $"{record}.entries", $"{count} is not between 1 and {Capacity(block.Length)}");
        Corruption.Check(depth <= MaxDepth, blockNumber, $"{record}.depth", $"{depth} exceeds {MaxDepth}");
        Corruption.Check(storedOwner == owner, blockNumber, $"{record}.owner", $"belongs to inode {storedOwner}, not {owner}");
        Corruption.Check(root ? parent >= 1 && parent <= inodeCount : parent == 0, blockNumber, $"{record}.parent", $"{parent} is not a valid parent");
        var index = new DirectoryIndex { IsRoot = root, Depth = depth, Owner = owner, Parent = parent };
        for (int i = 0; i < count; i++)
        {
            var e = block.Slice(HeaderSize + (i * EntrySize), EntrySize);
            ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(e);
            long fileBlock = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
            Corruption.Check(i == 0 ? hash == 0 : hash > index.Entries[^1].Hash, blockNumber, $"{record}.entry[{i}].hash", "hashes must start at 0 and increase");
            Corruption.Check(fileBlock >= 1 && fileBlock < fileBlocks, blockNumber, $"{record}.entry[{i}].block", $"directory block {fileBlock} is outside the directory's {fileBlocks} blocks");
            index.Entries.Add(new IndexEntry(hash, fileBlock));
        }

        return index;
    }
}
