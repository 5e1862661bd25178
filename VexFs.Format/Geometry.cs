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
/// inode table next, in that order. The descriptors record these addresses too, and every reader checks
/// them against this layout (a descriptor that disagrees is damaged).
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

    /// <summary>Whether a one-group filesystem keeps the tail copy: a superblock and descriptor table in its last blocks.</summary>
    public bool HasTailCopy => Superblock.ReadOnlyCompatible.HasFlag(ReadOnlyCompatibleFeatures.TailCopy);

    /// <summary>The blocks the tail copy takes: its superblock block, then the descriptor table.</summary>
    public int TailCopyBlocks => HasTailCopy ? 1 + DescriptorBlocks : 0;

    /// <summary>The first block of the tail copy: the superblock sits at its byte 0, the descriptor table follows.</summary>
    public long TailCopyBlock => BlockCount - TailCopyBlocks;

    /// <summary>
    /// Every copy of the superblock and descriptor table, by copy number: the groups that hold one (0 is the
    /// primary) and, on a filesystem with the tail copy, the number <see cref="GroupCount"/> for it.
    /// </summary>
    public IEnumerable<int> Copies =>
        Enumerable.Range(0, GroupCount).Where(HasSuperblockCopy).Concat(HasTailCopy ? [GroupCount] : []);

    /// <summary>The byte offset of copy <paramref name="copy"/> of the superblock (see <see cref="Copies"/>).</summary>
    public long SuperblockByteOffset(int copy) =>
        copy == 0 ? Superblock.ByteOffset : copy == GroupCount ? TailCopyBlock * BlockSize : GroupStart(copy) * BlockSize;

    /// <summary>The first block of copy <paramref name="copy"/> of the descriptor table (see <see cref="Copies"/>).</summary>
    public long DescriptorTableBlock(int copy) =>
        copy == 0 ? PrimarySuperblockBlocks(BlockSize) : copy == GroupCount ? TailCopyBlock + 1 : GroupStart(copy) + 1;

    /// <summary>
    /// Where the tail copy of a one-group filesystem of <paramref name="blockSize"/>-byte blocks would sit on a
    /// device of <paramref name="deviceLength"/> bytes, for fsck to find it with no superblock to go by.
    /// </summary>
    public static long TailCopyByteOffset(long deviceLength, int blockSize) =>
        ((deviceLength / blockSize) - 1 - DescriptorBlocksFor(1, blockSize)) * blockSize;

    /// <summary>The blocks at the start of a group taken by the superblock and descriptor copies.</summary>
    public int SuperblockAreaBlocks(int group) =>
        !HasSuperblockCopy(group) ? 0 : (group == 0 ? PrimarySuperblockBlocks(BlockSize) : 1) + DescriptorBlocks;

    /// <summary>Group <paramref name="group"/>'s block bitmap: the first block after its superblock area.</summary>
    public long BlockBitmapBlock(int group) => GroupStart(group) + SuperblockAreaBlocks(group);

    /// <summary>Group <paramref name="group"/>'s inode bitmap, after its block bitmap.</summary>
    public long InodeBitmapBlock(int group) => BlockBitmapBlock(group) + 1;

    /// <summary>The first block of group <paramref name="group"/>'s inode table, after its inode bitmap.</summary>
    public long InodeTableBlock(int group) => BlockBitmapBlock(group) + 2;

    /// <summary>The blocks of group <paramref name="group"/> its own metadata takes: superblock area, bitmaps, inode table.</summary>
    public int GroupMetadataBlocks(int group) => SuperblockAreaBlocks(group) + 2 + InodeTableBlocks;

    /// <summary>Whether <paramref name="descriptor"/> puts group <paramref name="group"/>'s bitmaps and inode table where the layout does.</summary>
    public bool IsPlacedByLayout(int group, GroupDescriptor descriptor) =>
        descriptor.BlockBitmap == BlockBitmapBlock(group) && descriptor.InodeBitmap == InodeBitmapBlock(group) && descriptor.InodeTable == InodeTableBlock(group);

    /// <summary>
    /// Whether group <paramref name="group"/>'s "inode bitmap uninitialised" flag can be believed: only when the
    /// descriptor's counts agree that no inode of the group was ever used. A flag that contradicts the counts
    /// is damage, and the bitmap on disk is what counts.
    /// </summary>
    public bool TrustsInodeBitmapUninit(int group, GroupDescriptor descriptor) =>
        descriptor.Flags.HasFlag(GroupFlags.InodeBitmapUninit)
        && descriptor.FreeInodes == InodesPerGroup && descriptor.UnusedInodes == InodesPerGroup
        && (long)group * InodesPerGroup >= Superblock.FirstInode;

    /// <summary>
    /// Whether group <paramref name="group"/>'s "block bitmap uninitialised" flag can be believed: only when the
    /// descriptor's free count agrees that only the group's own metadata is in use and the group holds no other
    /// fixed metadata (the journal, the vector table, the MMP block).
    /// </summary>
    public bool TrustsBlockBitmapUninit(int group, GroupDescriptor descriptor)
    {
        if (!descriptor.Flags.HasFlag(GroupFlags.BlockBitmapUninit) || descriptor.FreeBlocks != BlocksInGroup(group) - GroupMetadataBlocks(group))
        {
            return false;
        }

        long start = GroupStart(group);
        long end = start + BlocksInGroup(group);
        var sb = Superblock;
        return (sb.JournalStart >= end || sb.JournalStart + sb.JournalBlocks <= start) && (sb.VectorTableBlock < start || sb.VectorTableBlock >= end)
            && (!sb.HasMultiMountProtection || sb.MmpBlock < start || sb.MmpBlock >= end);
    }

    /// <summary>Raises <see cref="InvalidFileSystemException"/> unless <paramref name="descriptor"/> is placed by the layout.</summary>
    public void CheckPlacement(int group, GroupDescriptor descriptor, long block) =>
        Corruption.Check(IsPlacedByLayout(group, descriptor), block, $"group descriptor {group}", $"its bitmaps and inode table lie at {descriptor.BlockBitmap}, {descriptor.InodeBitmap} and {descriptor.InodeTable}, not at {BlockBitmapBlock(group)}, {InodeBitmapBlock(group)} and {InodeTableBlock(group)} where the layout puts them");

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
