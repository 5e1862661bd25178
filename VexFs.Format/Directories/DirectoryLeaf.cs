using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using VexFs.Format.Records;

namespace VexFs.Format.Directories;

/// <summary>A leaf block of a directory: entries sorted by name hash.</summary>
/// <remarks>
/// <code>
/// 0x00 u32 magic 0x4C445856 ("VXDL")   0x04 u16 entries   0x06 u16 bytes of entries   0x08 u64 owner inode
/// 0x10 entries, packed, sorted by (hash, name bytes):
///      u64 hash, u64 inode, u8 type (d_type), u8 name length, name (UTF-8)
/// block end - 4: u32 CRC32C (seed, block number, block)
/// </code>
/// </remarks>
internal static class DirectoryLeaf
{
    public const uint Magic = 0x4C445856;
    public const int HeaderSize = 0x10;

    public static int Capacity(int blockSize) => blockSize - HeaderSize - sizeof(uint);

    public static void Write(Span<byte> block, long blockNumber, long owner, IReadOnlyList<DirectoryEntry> entries, uint seed)
    {
        block.Clear();
        int at = HeaderSize;
        int limit = block.Length - sizeof(uint);
        foreach (var entry in entries)
        {
            int nameBytes = Encoding.UTF8.GetByteCount(entry.Name);
            if (at + DirectoryEntry.HeaderSize + nameBytes > limit)
            {
                throw new ArgumentException($"{entries.Count} entries do not fit a {block.Length}-byte directory block.");
            }

            BinaryPrimitives.WriteUInt64LittleEndian(block[at..], entry.Hash);
            BinaryPrimitives.WriteInt64LittleEndian(block[(at + 8)..], entry.Inode);
            block[at + 16] = entry.Type.DirectoryEntryType();
            block[at + 17] = (byte)nameBytes;
            Encoding.UTF8.GetBytes(entry.Name, block[(at + DirectoryEntry.HeaderSize)..]);
            at += DirectoryEntry.HeaderSize + nameBytes;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(block, Magic);
        SetCounts(block, entries.Count, at - HeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(block[0x08..], owner);
        BlockTail.Seal(block, blockNumber, seed);
    }

    /// <summary>
    /// Finds one name in a leaf without decoding the others: the block's checksum and header are verified,
    /// entries are skipped by their hash, and only the entry found is checked in full.
    /// </summary>
    public static DirectoryEntry? Find(ReadOnlySpan<byte> block, long blockNumber, long owner, uint seed, ulong hash, string name, long inodeCount)
    {
        var (count, used) = Open(block, blockNumber, owner, seed);
        Span<byte> wanted = stackalloc byte[Encoding.UTF8.GetMaxByteCount(name.Length)];
        wanted = wanted[..Encoding.UTF8.GetBytes(name, wanted)];
        var (at, index, found) = Seek(block, blockNumber, count, used, hash, wanted);
        return found ? Entry(block, blockNumber, at, index, name, hash, inodeCount) : null;
    }

    /// <summary>
    /// Inserts an entry where its hash and name order it, moving the entries after it along, and reseals the
    /// block; nothing else is decoded. Returns <see cref="LeafEdit.Exists"/> or <see cref="LeafEdit.Full"/>
    /// (the block unchanged) when the name is there already or does not fit.
    /// </summary>
    public static LeafEdit TryInsert(Span<byte> block, long blockNumber, long owner, uint seed, ulong hash, ReadOnlySpan<byte> name, long inode, UnixFileType type)
    {
        var (count, used) = Open(block, blockNumber, owner, seed);
        var (at, _, found) = Seek(block, blockNumber, count, used, hash, name);
        if (found)
        {
            return LeafEdit.Exists;
        }

        int size = DirectoryEntry.HeaderSize + name.Length;
        if (used + size > Capacity(block.Length))
        {
            return LeafEdit.Full;
        }

        int end = HeaderSize + used;
        block[at..end].CopyTo(block[(at + size)..]);
        BinaryPrimitives.WriteUInt64LittleEndian(block[at..], hash);
        BinaryPrimitives.WriteInt64LittleEndian(block[(at + 8)..], inode);
        block[at + 16] = type.DirectoryEntryType();
        block[at + 17] = (byte)name.Length;
        name.CopyTo(block[(at + DirectoryEntry.HeaderSize)..]);
        SetCounts(block, count + 1, used + size);
        BlockTail.Seal(block, blockNumber, seed);
        return LeafEdit.Done;
    }

    /// <summary>
    /// Removes the entry <paramref name="name"/> in place (the entries after it move back, the bytes freed are
    /// zeroed) and reseals the block; returns the entry removed, or null (the block unchanged) when there was none.
    /// </summary>
    public static DirectoryEntry? TryRemove(Span<byte> block, long blockNumber, long owner, uint seed, ulong hash, string name, long inodeCount)
    {
        var (count, used) = Open(block, blockNumber, owner, seed);
        Span<byte> wanted = stackalloc byte[Encoding.UTF8.GetMaxByteCount(name.Length)];
        wanted = wanted[..Encoding.UTF8.GetBytes(name, wanted)];
        var (at, index, found) = Seek(block, blockNumber, count, used, hash, wanted);
        if (!found)
        {
            return null;
        }

        var removed = Entry(block, blockNumber, at, index, name, hash, inodeCount);
        int size = DirectoryEntry.HeaderSize + wanted.Length;
        int end = HeaderSize + used;
        block[(at + size)..end].CopyTo(block[at..]);
        block[(end - size)..end].Clear();
        SetCounts(block, count - 1, used - size);
        BlockTail.Seal(block, blockNumber, seed);
        return removed;
    }

    /// <summary>Verifies a leaf's checksum, magic and header; returns its entry count and bytes of entries.</summary>
    private static (int Count, int Used) Open(ReadOnlySpan<byte> block, long blockNumber, long owner, uint seed)
    {
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), Magic, blockNumber, "directory leaf");
        BlockTail.Verify(block, blockNumber, seed, "directory leaf");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(block[0x04..]);
        int used = BinaryPrimitives.ReadUInt16LittleEndian(block[0x06..]);
        long storedOwner = BinaryPrimitives.ReadInt64LittleEndian(block[0x08..]);
        Corruption.Check(storedOwner == owner, blockNumber, "directory leaf.owner", $"belongs to inode {storedOwner}, not {owner}");
        Corruption.Check(used <= Capacity(block.Length), blockNumber, "directory leaf.used", $"{used} bytes exceed the capacity {Capacity(block.Length)}");
        return (count, used);
    }

    /// <summary>
    /// The byte offset and index of the first entry not ordered before (<paramref name="hash"/>,
    /// <paramref name="name"/>), and whether it is that very name; entries are stepped over by their lengths.
    /// </summary>
    private static (int At, int Index, bool Found) Seek(ReadOnlySpan<byte> block, long blockNumber, int count, int used, ulong hash, ReadOnlySpan<byte> name)
    {
        int at = HeaderSize;
        int end = HeaderSize + used;
        for (int i = 0; i < count; i++)
        {
            // Plain tests in this loop: it runs for every entry before the one sought.
            if (end - at < DirectoryEntry.HeaderSize || end - at - DirectoryEntry.HeaderSize < block[at + 17])
            {
                throw Corruption.At(blockNumber, $"directory leaf.entry[{i}]", "runs past the used bytes");
            }

            ulong entryHash = BinaryPrimitives.ReadUInt64LittleEndian(block[at..]);
            int nameBytes = block[at + 17];
            if (entryHash >= hash)
            {
                int order = entryHash > hash ? 1 : block.Slice(at + DirectoryEntry.HeaderSize, nameBytes).SequenceCompareTo(name);
                if (order >= 0)
                {
                    return (at, i, order == 0);
                }
            }

            at += DirectoryEntry.HeaderSize + nameBytes;
        }

        Corruption.Check(at == end, blockNumber, "directory leaf.used", $"entries end at byte {at}, not {end}");
        return (at, count, false);
    }

    /// <summary>The entry at <paramref name="at"/>, known to hold <paramref name="name"/>, with its inode and type checked.</summary>
    private static DirectoryEntry Entry(ReadOnlySpan<byte> block, long blockNumber, int at, int index, string name, ulong hash, long inodeCount)
    {
        long inode = BinaryPrimitives.ReadInt64LittleEndian(block[(at + 8)..]);
        var type = UnixModes.FromDirectoryEntryType(block[at + 16]);
        Corruption.Check(inode >= 1 && inode <= inodeCount, blockNumber, $"directory leaf.entry[{index}].inode", $"{inode} is out of range");
        Corruption.Check(type != UnixFileType.Unknown, blockNumber, $"directory leaf.entry[{index}].type", $"{block[at + 16]} is not a file type");
        return new DirectoryEntry(name, inode, type, hash);
    }

    private static void SetCounts(Span<byte> block, int count, int used)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x04..], (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x06..], (ushort)used);
    }

    /// <summary>
    /// Decodes the entries of a leaf whose hash is at least <paramref name="fromHash"/> (all by default), checking
    /// every entry's bounds and order and each decoded entry's name, inode range and type, and, unless
    /// <paramref name="checkHashes"/> is false (listings, whose blocks the checksum covers; fsck checks them all),
    /// that its hash is its name's. Entries before <paramref name="fromHash"/> are stepped over undecoded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static List<DirectoryEntry> Read(ReadOnlySpan<byte> block, long blockNumber, long owner, uint seed, ulong hashSeed, long inodeCount, ulong fromHash = 0, bool checkHashes = true)
    {
        var (count, used) = Open(block, blockNumber, owner, seed);
        var entries = new List<DirectoryEntry>(Math.Min(count, used / DirectoryEntry.HeaderSize));
        int at = HeaderSize;
        int end = HeaderSize + used;
        ulong previous = 0;
        for (int i = 0; i < count; i++)
        {
            // Plain tests in this loop, messages only for a failure: it runs for every entry of every leaf listed.
            if (end - at < DirectoryEntry.HeaderSize)
            {
                throw Corruption.At(blockNumber, $"directory leaf.entry[{i}]", "runs past the used bytes");
            }

            ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(block[at..]);
            int nameBytes = block[at + 17];
            if (end - at - DirectoryEntry.HeaderSize < nameBytes)
            {
                throw Corruption.At(blockNumber, $"directory leaf.entry[{i}]", "its name runs past the used bytes");
            }

            if (hash < previous)
            {
                throw Corruption.At(blockNumber, $"directory leaf.entry[{i}]", "is out of order or a duplicate");
            }

            previous = hash;
            if (hash >= fromHash)
            {
                entries.Add(Decode(block, blockNumber, at, i, hash, nameBytes, hashSeed, inodeCount, checkHashes, entries));
            }

            at += DirectoryEntry.HeaderSize + nameBytes;
        }

        Corruption.Check(at == end, blockNumber, "directory leaf.used", $"entries end at byte {at}, not {end}");
        return entries;
    }

    /// <summary>Decodes the entry at <paramref name="at"/>, checking its name, hash, inode, type and order after the entries before it.</summary>
    private static DirectoryEntry Decode(ReadOnlySpan<byte> block, long blockNumber, int at, int i, ulong hash, int nameBytes, ulong hashSeed, long inodeCount, bool checkHash, List<DirectoryEntry> before)
    {
        long inode = BinaryPrimitives.ReadInt64LittleEndian(block[(at + 8)..]);
        var type = UnixModes.FromDirectoryEntryType(block[at + 16]);
        var utf8 = block.Slice(at + DirectoryEntry.HeaderSize, nameBytes);
        Corruption.Check(DirectoryNames.TryDecode(utf8, out string name), blockNumber, $"directory leaf.entry[{i}].name", "is not a valid name");
        Corruption.Check(!checkHash || hash == DirectoryHash.Of(utf8, hashSeed), blockNumber, $"directory leaf.entry[{i}].hash", $"does not match the name '{name}'");
        Corruption.Check(inode >= 1 && inode <= inodeCount, blockNumber, $"directory leaf.entry[{i}].inode", $"{inode} is out of range");
        Corruption.Check(type != UnixFileType.Unknown, blockNumber, $"directory leaf.entry[{i}].type", $"{block[at + 16]} is not a file type");
        var entry = new DirectoryEntry(name, inode, type, hash);
        Corruption.Check(before.Count == 0 || before[^1].Hash < hash || DirectoryEntry.Compare(before[^1], entry) < 0, blockNumber, $"directory leaf.entry[{i}]", "is out of order or a duplicate");
        return entry;
    }
}
