using System.Buffers.Binary;

namespace VexFs.Format.Records;

/// <summary>A block of extended attributes that did not fit an inode's inline area.</summary>
/// <remarks>
/// <code>
/// 0x00 u32 magic 0x41585856 ("VXXA")   0x04 u32 bytes of entries   0x08 u64 owner inode
/// 0x10 entries (<see cref="XattrEntries"/>)
/// block end - 4: u32 CRC32C (seed, block number, block)
/// </code>
/// </remarks>
internal static class XattrBlock
{
    public const uint Magic = 0x41585856;
    public const int HeaderSize = 0x10;

    public static int Capacity(int blockSize) => blockSize - HeaderSize - sizeof(uint);

    public static void Write(Span<byte> block, long blockNumber, long owner, IEnumerable<KeyValuePair<string, byte[]>> attributes, uint seed)
    {
        block.Clear();
        int used = XattrEntries.Write(block[HeaderSize..^sizeof(uint)], attributes);
        BinaryPrimitives.WriteUInt32LittleEndian(block, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x04..], (uint)used);
        BinaryPrimitives.WriteInt64LittleEndian(block[0x08..], owner);
        BlockTail.Seal(block, blockNumber, seed);
    }

    public static SortedDictionary<string, byte[]> Read(ReadOnlySpan<byte> block, long blockNumber, long owner, uint seed)
    {
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(block), Magic, blockNumber, "attribute block");
        BlockTail.Verify(block, blockNumber, seed, "attribute block");
        uint used = BinaryPrimitives.ReadUInt32LittleEndian(block[0x04..]);
        long storedOwner = BinaryPrimitives.ReadInt64LittleEndian(block[0x08..]);
        Corruption.Check(used <= Capacity(block.Length), blockNumber, "attribute block.used", $"{used} bytes exceed the capacity {Capacity(block.Length)}");
        Corruption.Check(storedOwner == owner, blockNumber, "attribute block.owner", $"belongs to inode {storedOwner}, not {owner}");
        return XattrEntries.Read(block.Slice(HeaderSize, (int)used), blockNumber, "attribute block.entries");
    }
}
