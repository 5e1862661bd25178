using VexFs.Format.Records;

namespace VexFs.Format;

/// <summary>
/// Where things lie, derived from the superblock: groups, their metadata, and the inode-to-block mapping.
/// One definition used by mkfs, fsck and the filesystem alike.
/// </summary>
/// <remarks>
/// Group <c>g</c> spans blocks <c>[g × BlocksPerGroup, (g + 1) × BlocksPerGroup)</c>. Groups 0, 1 and the
/// powers of 3, 5 and 7 begin with a copy of the superblock and the group descriptor table (group 0's copy
/// is the primary, at byte 1024 of the device). mkfs places each group's block bitmap, inode bitmap and
/// inode table next, in that order; the descriptors record their addresses, so readers never assume it.
/// </remarks>
internal sealed class Geometry
{
    public Geometry(Superblock superblock)
    {
        Superblock = superblock;
        BlockSize = superblock.BlockSize;
        BlockCount = superblock.BlockCount;
        BlocksPerGroup = superblock.BlocksPerGroup;
        InodesPerGroup = superblock.InodesPerGroup;
        InodeSize = superblock.InodeSize;
        GroupCount = superblock.GroupCount;
        DescriptorBlocks = superblock.DescriptorBlocks;
        ChecksumSeed = superblock.ChecksumSeed;
        InodesPerBlock = BlockSize / InodeSize;
        InodeTableBlocks = InodesPerGroup / InodesPerBlock;
    }

    public Superblock Superblock { get; }

    public int BlockSize { get; }

    public long BlockCount { get; }

    public int BlocksPerGroup { get; }

    public int InodesPerGroup { get; }

    public int InodeSize { get; }

    public int InodesPerBlock { get; }

    public int InodeTableBlocks { get; }

    public int GroupCount { get; }

    public int DescriptorBlocks { get; }

    public uint ChecksumSeed { get; }

    public long InodeCount => (long)GroupCount * InodesPerGroup;

    /// <summary>The number of blocks the group descriptors of <paramref name="groups"/> groups take.</summary>
    public static int DescriptorBlocksFor(long groups, int blockSize) =>
        (int)(((groups * GroupDescriptor.Size) + blockSize - 1) / blockSize);

    /// <summary>Whether group <paramref name="group"/> holds a copy of the superblock and descriptors.</summary>
    public static bool HasSuperblockCopy(int group) =>
        group <= 1 || IsPowerOf(group, 3) || IsPowerOf(group, 5) || IsPowerOf(group, 7);

    /// <summary>The blocks at the start of group 0 that hold the boot area and the primary superblock.</summary>
    public static int PrimarySuperblockBlocks(int blockSize) =>
        (int)((Superblock.ByteOffset + Superblock.Size + blockSize - 1) / blockSize);

    public long GroupStart(int group) => (long)group * BlocksPerGroup;

    public int BlocksInGroup(int group) =>
        (int)Math.Min(BlocksPerGroup, BlockCount - GroupStart(group));

    /// <summary>The block holding group <paramref name="group"/>'s copy of the superblock.</summary>
    public long SuperblockBlock(int group) =>
        group == 0 ? Superblock.ByteOffset / BlockSize : GroupStart(group);

    /// <summary>The byte offset of group <paramref name="group"/>'s copy of the superblock.</summary>
    public long SuperblockByteOffset(int group) =>
        group == 0 ? Superblock.ByteOffset : GroupStart(group) * BlockSize;

    /// <summary>The first block of group <paramref name="group"/>'s copy of the descriptor table.</summary>
    public long DescriptorTableBlock(int group) =>
        group == 0 ? PrimarySuperblockBlocks(BlockSize) : GroupStart(group) + 1;

    /// <summary>The blocks at the start of a group taken by the superblock and descriptor copies.</summary>
    public int SuperblockAreaBlocks(int group) =>
        !HasSuperblockCopy(group) ? 0 : (group == 0 ? PrimarySuperblockBlocks(BlockSize) : 1) + DescriptorBlocks;

    /// <summary>The group holding inode <paramref name="inode"/> (1-based), and its index in that group.</summary>
    public (int Group, int Index) LocateInode(long inode)
    {
        if (inode < 1 || inode > InodeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(inode), inode, $"Inode numbers run from 1 to {InodeCount}.");
        }

        return ((int)((inode - 1) / InodesPerGroup), (int)((inode - 1) % InodesPerGroup));
    }

    public int GroupOfBlock(long block) => (int)(block / BlocksPerGroup);

    private static bool IsPowerOf(int value, int factor)
    {
        long power = factor;
        while (power < value)
        {
            power *= factor;
        }

        return power == value;
    }
}
