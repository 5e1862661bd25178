using System.Buffers.Binary;
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
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x04..], (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(block[0x06..], (ushort)(at - HeaderSize));
        BinaryPrimitives.WriteInt64LittleEndian(block[0x08..], owner);
        BlockTail.Seal(block, blockNumber, seed);
    }

    /// <summary>
    /// Finds one name in a leaf without decoding the others: the block's checksum and header are verified,
    /// entries are skipped by their hash, and only the entry found is checked in full.
    /// </summary>
    public static DirectoryEntry? Find(ReadOnlySpan<byte> block, long blockNumber, long owner, uint seed, ulong hash, string name, long inodeCount)
    {
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), Magic, blockNumber, "directory leaf");
        BlockTail.Verify(block, blockNumber, seed, "directory leaf");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(block[0x04..]);
        int used = BinaryPrimitives.ReadUInt16LittleEndian(block[0x06..]);
        Corruption.Check(BinaryPrimitives.ReadInt64LittleEndian(block[0x08..]) == owner, blockNumber, "directory leaf.owner", $"does not belong to inode {owner}");
        Corruption.Check(used <= Capacity(block.Length), blockNumber, "directory leaf.used", $"{used} bytes exceed the capacity {Capacity(block.Length)}");
        Span<byte> wanted = stackalloc byte[Encoding.UTF8.GetMaxByteCount(name.Length)];
        wanted = wanted[..Encoding.UTF8.GetBytes(name, wanted)];
        int at = HeaderSize;
        int end = HeaderSize + used;
        for (int i = 0; i < count && end - at >= DirectoryEntry.HeaderSize; i++)
        {
            ulong entryHash = BinaryPrimitives.ReadUInt64LittleEndian(block[at..]);
            int nameBytes = block[at + 17];
            Corruption.Check(end - at - DirectoryEntry.HeaderSize >= nameBytes, blockNumber, $"directory leaf.entry[{i}]", "its name runs past the used bytes");
            if (entryHash > hash)
            {
                return null;
            }

            if (entryHash == hash && block.Slice(at + DirectoryEntry.HeaderSize, nameBytes).SequenceEqual(wanted))
            {
                long inode = BinaryPrimitives.ReadInt64LittleEndian(block[(at + 8)..]);
                var type = UnixModes.FromDirectoryEntryType(block[at + 16]);
                Corruption.Check(inode >= 1 && inode <= inodeCount, blockNumber, $"directory leaf.entry[{i}].inode", $"{inode} is out of range");
                Corruption.Check(type != UnixFileType.Unknown, blockNumber, $"directory leaf.entry[{i}].type", $"{block[at + 16]} is not a file type");
                return new DirectoryEntry(name, inode, type, hash);
            }

            at += DirectoryEntry.HeaderSize + nameBytes;
        }

        return null;
    }

    /// <summary>Decodes a leaf, checking every entry's name, hash, order, inode range and type.</summary>
    public static List<DirectoryEntry> Read(ReadOnlySpan<byte> block, long blockNumber, long owner, uint seed, ulong hashSeed, long inodeCount)
    {
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), Magic, blockNumber, "directory leaf");
        BlockTail.Verify(block, blockNumber, seed, "directory leaf");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(block[0x04..]);
        int used = BinaryPrimitives.ReadUInt16LittleEndian(block[0x06..]);
        long storedOwner = BinaryPrimitives.ReadInt64LittleEndian(block[0x08..]);
        Corruption.Check(storedOwner == owner, blockNumber, "directory leaf.owner", $"belongs to inode {storedOwner}, not {owner}");
        Corruption.Check(used <= Capacity(block.Length), blockNumber, "directory leaf.used", $"{used} bytes exceed the capacity {Capacity(block.Length)}");
        var entries = new List<DirectoryEntry>(Math.Min(count, used / DirectoryEntry.HeaderSize));
        int at = HeaderSize;
        int end = HeaderSize + used;
        for (int i = 0; i < count; i++)
        {
            Corruption.Check(end - at >= DirectoryEntry.HeaderSize, blockNumber, $"directory leaf.entry[{i}]", "runs past the used bytes");
            ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(block[at..]);
            long inode = BinaryPrimitives.ReadInt64LittleEndian(block[(at + 8)..]);
            var type = UnixModes.FromDirectoryEntryType(block[at + 16]);
            int nameBytes = block[at + 17];
            Corruption.Check(end - at - DirectoryEntry.HeaderSize >= nameBytes, blockNumber, $"directory leaf.entry[{i}]", "its name runs past the used bytes");
            var utf8 = block.Slice(at + DirectoryEntry.HeaderSize, nameBytes);
            Corruption.Check(DirectoryNames.TryDecode(utf8, out string name), blockNumber, $"directory leaf.entry[{i}].name", "is not a valid name");
            Corruption.Check(hash == DirectoryHash.Of(utf8, hashSeed), blockNumber, $"directory leaf.entry[{i}].hash", $"does not match the name '{name}'");
            Corruption.Check(inode >= 1 && inode <= inodeCount, blockNumber, $"directory leaf.entry[{i}].inode", $"{inode} is out of range");
            Corruption.Check(type != UnixFileType.Unknown, blockNumber, $"directory leaf.entry[{i}].type", $"{block[at + 16]} is not a file type");
            var entry = new DirectoryEntry(name, inode, type, hash);
            Corruption.Check(entries.Count == 0 || DirectoryEntry.Compare(entries[^1], entry) < 0, blockNumber, $"directory leaf.entry[{i}]", "is out of order or a duplicate");
            entries.Add(entry);
            at += DirectoryEntry.HeaderSize + nameBytes;
        }

        Corruption.Check(at == end, blockNumber, "directory leaf.used", $"entries end at byte {at}, not {end}");
        return entries;
    }
}
