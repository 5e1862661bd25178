using System.Buffers.Binary;
using VexFs.Format.Checksums;

namespace VexFs.Format.Records;

/// <summary>Flags of a block group.</summary>
[Flags]
internal enum GroupFlags : ushort
{
    None = 0,

    /// <summary>The inode bitmap was never written: every inode of the group is free.</summary>
    InodeBitmapUninit = 1 << 0,

    /// <summary>The block bitmap was never written: only the group's own metadata is in use.</summary>
    BlockBitmapUninit = 1 << 1,
}

/// <summary>
/// Where a block group keeps its bitmaps and inode table, and how much of it is free. The descriptors of all
/// groups follow the superblock, 64 bytes each.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u64 block bitmap block       0x08 u64 inode bitmap block     0x10 u64 inode table block
/// 0x18 u32 free blocks              0x1C u32 free inodes            0x20 u32 directories
/// 0x24 u32 unused inodes at the end of the table (never initialised)
/// 0x28 u16 flags                    0x2A u16 zero
/// 0x2C u32 CRC32C of the block bitmap   0x30 u32 CRC32C of the inode bitmap
/// 0x34 u64 zero
/// 0x3C u32 CRC32C (seed, group number, bytes 0x00-0x3B)
/// </code>
/// </remarks>
internal readonly record struct GroupDescriptor(
    long BlockBitmap,
    long InodeBitmap,
    long InodeTable,
    int FreeBlocks,
    int FreeInodes,
    int Directories,
    int UnusedInodes,
    GroupFlags Flags,
    uint BlockBitmapChecksum,
    uint InodeBitmapChecksum)
{
    public const int Size = 64;
    private const int ChecksumOffset = 0x3C;

    public void WriteTo(Span<byte> b, int group, uint seed)
    {
        b = b[..Size];
        b.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(b, BlockBitmap);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x08..], InodeBitmap);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x10..], InodeTable);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x18..], (uint)FreeBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x1C..], (uint)FreeInodes);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x20..], (uint)Directories);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x24..], (uint)UnusedInodes);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x28..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x2C..], BlockBitmapChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x30..], InodeBitmapChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(b[ChecksumOffset..], Crc32C.ComputeMetadata(seed, (ulong)group, b, ChecksumOffset));
    }

    /// <summary>Decodes group <paramref name="group"/>'s descriptor, checking it against the geometry.</summary>
    public static GroupDescriptor ReadFrom(ReadOnlySpan<byte> b, int group, long block, Geometry geometry)
    {
        b = b[..Size];
        Corruption.CheckChecksum(BinaryPrimitives.ReadUInt32LittleEndian(b[ChecksumOffset..]), Crc32C.ComputeMetadata(geometry.ChecksumSeed, (ulong)group, b, ChecksumOffset), block, $"group descriptor {group}");
        var d = new GroupDescriptor(
            BinaryPrimitives.ReadInt64LittleEndian(b),
            BinaryPrimitives.ReadInt64LittleEndian(b[0x08..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[0x10..]),
            (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x18..]), int.MaxValue),
            (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x1C..]), int.MaxValue),
            (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x20..]), int.MaxValue),
            (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x24..]), int.MaxValue),
            (GroupFlags)BinaryPrimitives.ReadUInt16LittleEndian(b[0x28..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[0x2C..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[0x30..]));
        string field = $"group descriptor {group}";
        Corruption.Check(d.BlockBitmap >= 0 && d.BlockBitmap < geometry.BlockCount, block, $"{field}.block_bitmap", $"block {d.BlockBitmap} is outside the filesystem");
        Corruption.Check(d.InodeBitmap >= 0 && d.InodeBitmap < geometry.BlockCount, block, $"{field}.inode_bitmap", $"block {d.InodeBitmap} is outside the filesystem");
        Corruption.Check(d.InodeTable >= 0 && d.InodeTable <= geometry.BlockCount - geometry.InodeTableBlocks, block, $"{field}.inode_table", $"{geometry.InodeTableBlocks} blocks at {d.InodeTable} run past the filesystem");
        Corruption.Check(d.FreeBlocks <= geometry.BlocksInGroup(group), block, $"{field}.free_blocks", $"{d.FreeBlocks} free of {geometry.BlocksInGroup(group)}");
        Corruption.Check(d.FreeInodes <= geometry.InodesPerGroup, block, $"{field}.free_inodes", $"{d.FreeInodes} free of {geometry.InodesPerGroup}");
        Corruption.Check(d.Directories <= geometry.InodesPerGroup - d.FreeInodes, block, $"{field}.directories", $"{d.Directories} directories among {geometry.InodesPerGroup - d.FreeInodes} used inodes");
        Corruption.Check(d.UnusedInodes <= d.FreeInodes, block, $"{field}.unused_inodes", $"{d.UnusedInodes} never-used inodes but only {d.FreeInodes} free");
        return d;
    }
}
