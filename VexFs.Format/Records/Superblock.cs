using System.Buffers.Binary;
using System.Text;
using VexFs.Format.Checksums;

namespace VexFs.Format.Records;

/// <summary>
/// The superblock: what the filesystem is and where everything else lies. The primary copy sits at byte
/// offset 1024 of the device; backups sit at the start of groups 1 and the powers of 3, 5 and 7.
/// </summary>
/// <remarks>
/// <code>
/// 0x000 u32 magic 0x53465856 ("VXFS")    0x004 u16 major version   0x006 u16 minor version
/// 0x008 u32 compatible features          0x00C u32 incompatible    0x010 u32 read-only compatible
/// 0x014 u32 log2 of the block size       0x018 u64 block count     0x020 u64 free blocks
/// 0x028 u64 inode count                  0x030 u64 free inodes     0x038 u32 blocks per group
/// 0x03C u32 inodes per group             0x040 u16 inode size      0x042 u16 state
/// 0x044 u32 group of this copy           0x048 u32 group count     0x04C u32 group descriptor blocks
/// 0x050 u8[16] UUID                      0x060 u8[64] label (UTF-8, zero padded)
/// 0x0A0 u64 journal start block          0x0A8 u64 journal blocks  0x0B0 u64 vector table block
/// 0x0B8 u64 root inode                   0x0C0 u64 lost+found inode 0x0C8 u64 first orphan inode
/// 0x0D0 u64 directory hash seed          0x0D8 i64 created (ns)    0x0E0 i64 last mount (ns)
/// 0x0E8 i64 last write (ns)              0x0F0 i64 last check (ns) 0x0F8 u32 mount count
/// 0x0FC u32 maximum mount count          0x100 u32 checksum seed   0x104 u32 first ordinary inode
/// 0x108 u32 reserved blocks percent ×100 0x10C u32 zero (keeps the next field 8-byte aligned)
/// 0x110 u64 MMP block                    0x118 u16 MMP update interval (s)  0x11A zero ... 0x1FB
/// 0x1FC u32 CRC32C of bytes 0x000-0x1FF, this field as zero     0x200-0x3FF zero
/// </code>
/// Every field and the checksum sit in the first 512 bytes, one sector, so that rewriting the superblock is
/// atomic on any device: a power cut leaves the old record or the new one, never a torn one.
/// </remarks>
internal sealed record Superblock
{
    public const int Size = 1024;
    public const long ByteOffset = 1024;
    public const uint MagicValue = 0x53465856;
    public const ushort CurrentMajor = 1;
    public const ushort CurrentMinor = 1;
    public const int MinBlockSizeLog2 = 10;
    public const int MaxBlockSizeLog2 = 16;
    public const int LabelSize = 64;
    private const int Sector = 512;
    private const int ChecksumOffset = 0x1FC;

    public ushort MajorVersion { get; init; } = CurrentMajor;

    public ushort MinorVersion { get; init; } = CurrentMinor;

    public CompatibleFeatures Compatible { get; init; }

    public IncompatibleFeatures Incompatible { get; init; }

    public ReadOnlyCompatibleFeatures ReadOnlyCompatible { get; init; }

    public int BlockSizeLog2 { get; init; }

    public long BlockCount { get; init; }

    public long FreeBlocks { get; init; }

    public long InodeCount { get; init; }

    public long FreeInodes { get; init; }

    public int BlocksPerGroup { get; init; }

    public int InodesPerGroup { get; init; }

    public int InodeSize { get; init; }

    public FileSystemState State { get; init; }

    public int CopyGroup { get; init; }

    public int GroupCount { get; init; }

    public int DescriptorBlocks { get; init; }

    public Guid Uuid { get; init; }

    public string Label { get; init; } = string.Empty;

    public long JournalStart { get; init; }

    public long JournalBlocks { get; init; }

    public long VectorTableBlock { get; init; }

    public long RootInode { get; init; }

    public long LostAndFoundInode { get; init; }

    public long OrphanHead { get; init; }

    public ulong HashSeed { get; init; }

    public long CreatedNs { get; init; }

    public long MountedNs { get; init; }

    public long WrittenNs { get; init; }

    public long CheckedNs { get; init; }

    public int MountCount { get; init; }

    public int MaxMountCount { get; init; }

    public uint ChecksumSeed { get; init; }

    public int FirstInode { get; init; }

    public int ReservedPercentHundredths { get; init; }

    /// <summary>The multi-mount protection block, with <see cref="IncompatibleFeatures.MultiMountProtection"/>; 0 without.</summary>
    public long MmpBlock { get; init; }

    /// <summary>How often, in seconds, a writer updates the MMP block (1 to <see cref="Records.MmpBlock.MaxInterval"/>); 0 without the feature.</summary>
    public int MmpInterval { get; init; }

    public bool HasMultiMountProtection => Incompatible.HasFlag(IncompatibleFeatures.MultiMountProtection);

    public int BlockSize => 1 << BlockSizeLog2;

    /// <summary>
    /// Whether <paramref name="other"/> describes the same layout: the fields mkfs sets once and nothing changes
    /// afterwards, so that every copy of the superblock holds the same ones.
    /// </summary>
    public bool SameLayout(Superblock other) => WithLayoutOf(other) == this;

    /// <summary>This superblock with the layout fields (see <see cref="SameLayout"/>) of <paramref name="other"/>.</summary>
    public Superblock WithLayoutOf(Superblock other) => this with
    {
        BlockSizeLog2 = other.BlockSizeLog2,
        BlockCount = other.BlockCount,
        InodeCount = other.InodeCount,
        BlocksPerGroup = other.BlocksPerGroup,
        InodesPerGroup = other.InodesPerGroup,
        InodeSize = other.InodeSize,
        GroupCount = other.GroupCount,
        DescriptorBlocks = other.DescriptorBlocks,
        Uuid = other.Uuid,
        JournalStart = other.JournalStart,
        JournalBlocks = other.JournalBlocks,
        VectorTableBlock = other.VectorTableBlock,
        MmpBlock = other.MmpBlock,
        RootInode = other.RootInode,
        HashSeed = other.HashSeed,
        ChecksumSeed = other.ChecksumSeed,
        FirstInode = other.FirstInode,
        CreatedNs = other.CreatedNs,
    };

    /// <summary>The checksum seed of a filesystem: the CRC32C of its UUID.</summary>
    public static uint SeedFor(Guid uuid)
    {
        Span<byte> bytes = stackalloc byte[16];
        uuid.TryWriteBytes(bytes);
        return Crc32C.Compute(bytes);
    }

    public void WriteTo(Span<byte> b)
    {
        b = b[..Size];
        b.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, MagicValue);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x004..], MajorVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x006..], MinorVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x008..], (uint)Compatible);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x00C..], (uint)Incompatible);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x010..], (uint)ReadOnlyCompatible);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x014..], (uint)BlockSizeLog2);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x018..], BlockCount);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x020..], FreeBlocks);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x028..], InodeCount);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x030..], FreeInodes);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x038..], (uint)BlocksPerGroup);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x03C..], (uint)InodesPerGroup);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x040..], (ushort)InodeSize);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x042..], (ushort)State);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x044..], (uint)CopyGroup);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x048..], (uint)GroupCount);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x04C..], (uint)DescriptorBlocks);
        Uuid.TryWriteBytes(b[0x050..0x060]);
        Encoding.UTF8.GetBytes(Label, b[0x060..(0x060 + LabelSize)]);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0A0..], JournalStart);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0A8..], JournalBlocks);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0B0..], VectorTableBlock);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0B8..], RootInode);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0C0..], LostAndFoundInode);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0C8..], OrphanHead);
        BinaryPrimitives.WriteUInt64LittleEndian(b[0x0D0..], HashSeed);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0D8..], CreatedNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0E0..], MountedNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0E8..], WrittenNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x0F0..], CheckedNs);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x0F8..], (uint)MountCount);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x0FC..], (uint)MaxMountCount);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x100..], ChecksumSeed);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x104..], (uint)FirstInode);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x108..], (uint)ReservedPercentHundredths);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x110..], MmpBlock);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x118..], (ushort)MmpInterval);
        BinaryPrimitives.WriteUInt32LittleEndian(b[ChecksumOffset..], Crc32C.ComputeSkipping(b[..Sector], ChecksumOffset));
    }

    /// <summary>
    /// Decodes and validates a superblock read from <paramref name="block"/>; every field that later drives a
    /// loop, an allocation or a seek is checked against the others and against <paramref name="deviceLength"/>.
    /// </summary>
    public static Superblock ReadFrom(ReadOnlySpan<byte> b, long block, long deviceLength)
    {
        Corruption.Check(b.Length >= Size, block, "superblock", $"only {b.Length} bytes");
        b = b[..Size];
        Corruption.CheckMagic(BinaryPrimitives.ReadUInt32LittleEndian(b), MagicValue, block, "superblock");
        Corruption.CheckChecksum(BinaryPrimitives.ReadUInt32LittleEndian(b[ChecksumOffset..]), Crc32C.ComputeSkipping(b[..Sector], ChecksumOffset), block, "superblock");

        // Bytes that are not UTF-8 would decode to replacement characters, a label too long for its field.
        var label = b[0x060..(0x060 + LabelSize)].TrimEnd((byte)0);
        Corruption.Check(System.Text.Unicode.Utf8.IsValid(label), block, "superblock.label", "the volume label is not UTF-8");
        var sb = new Superblock
        {
            MajorVersion = BinaryPrimitives.ReadUInt16LittleEndian(b[0x004..]),
            MinorVersion = BinaryPrimitives.ReadUInt16LittleEndian(b[0x006..]),
            Compatible = (CompatibleFeatures)BinaryPrimitives.ReadUInt32LittleEndian(b[0x008..]),
            Incompatible = (IncompatibleFeatures)BinaryPrimitives.ReadUInt32LittleEndian(b[0x00C..]),
            ReadOnlyCompatible = (ReadOnlyCompatibleFeatures)BinaryPrimitives.ReadUInt32LittleEndian(b[0x010..]),
            BlockSizeLog2 = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x014..]), 63),
            BlockCount = BinaryPrimitives.ReadInt64LittleEndian(b[0x018..]),
            FreeBlocks = BinaryPrimitives.ReadInt64LittleEndian(b[0x020..]),
            InodeCount = BinaryPrimitives.ReadInt64LittleEndian(b[0x028..]),
            FreeInodes = BinaryPrimitives.ReadInt64LittleEndian(b[0x030..]),
            BlocksPerGroup = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x038..]), int.MaxValue),
            InodesPerGroup = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x03C..]), int.MaxValue),
            InodeSize = BinaryPrimitives.ReadUInt16LittleEndian(b[0x040..]),
            State = (FileSystemState)BinaryPrimitives.ReadUInt16LittleEndian(b[0x042..]),
            CopyGroup = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x044..]), int.MaxValue),
            GroupCount = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x048..]), int.MaxValue),
            DescriptorBlocks = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x04C..]), int.MaxValue),
            Uuid = new Guid(b[0x050..0x060]),
            Label = Encoding.UTF8.GetString(label),
            JournalStart = BinaryPrimitives.ReadInt64LittleEndian(b[0x0A0..]),
            JournalBlocks = BinaryPrimitives.ReadInt64LittleEndian(b[0x0A8..]),
            VectorTableBlock = BinaryPrimitives.ReadInt64LittleEndian(b[0x0B0..]),
            RootInode = BinaryPrimitives.ReadInt64LittleEndian(b[0x0B8..]),
            LostAndFoundInode = BinaryPrimitives.ReadInt64LittleEndian(b[0x0C0..]),
            OrphanHead = BinaryPrimitives.ReadInt64LittleEndian(b[0x0C8..]),
            HashSeed = BinaryPrimitives.ReadUInt64LittleEndian(b[0x0D0..]),
            CreatedNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x0D8..]),
            MountedNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x0E0..]),
            WrittenNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x0E8..]),
            CheckedNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x0F0..]),
            MountCount = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x0F8..]), int.MaxValue),
            MaxMountCount = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x0FC..]), int.MaxValue),
            ChecksumSeed = BinaryPrimitives.ReadUInt32LittleEndian(b[0x100..]),
            FirstInode = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x104..]), int.MaxValue),
            ReservedPercentHundredths = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x108..]), int.MaxValue),
            MmpBlock = BinaryPrimitives.ReadInt64LittleEndian(b[0x110..]),
            MmpInterval = BinaryPrimitives.ReadUInt16LittleEndian(b[0x118..]),
        };
        sb.Validate(block, deviceLength);
        return sb;
    }

    private void Validate(long block, long deviceLength)
    {
        Corruption.Check(MajorVersion == CurrentMajor, block, "superblock.version", $"format version {MajorVersion}.{MinorVersion} is not supported (this reader knows {CurrentMajor}.x)");
        var unknown = Incompatible & ~KnownFeatures.Incompatible;
        Corruption.Check(unknown == 0, block, "superblock.incompatible", $"the filesystem uses features this version does not understand (0x{(uint)unknown:X}); a newer VexFS is needed");
        Corruption.Check(BlockSizeLog2 is >= MinBlockSizeLog2 and <= MaxBlockSizeLog2, block, "superblock.block_size", $"2^{BlockSizeLog2} is not a block size from 1 KiB to 64 KiB");
        Corruption.Check(BlockCount > 0 && BlockCount <= deviceLength / BlockSize, block, "superblock.block_count", $"{BlockCount} blocks do not fit a device of {deviceLength} bytes");
        Corruption.Check(BlocksPerGroup > 0 && BlocksPerGroup <= 8 * BlockSize, block, "superblock.blocks_per_group", $"{BlocksPerGroup} exceeds one bitmap block ({8 * BlockSize})");
        Corruption.Check(InodeSize is >= Inode.MinSize && InodeSize <= BlockSize && (InodeSize & (InodeSize - 1)) == 0, block, "superblock.inode_size", $"{InodeSize} is not a power of two from {Inode.MinSize} to the block size");
        Corruption.Check(InodesPerGroup > 0 && InodesPerGroup <= 8 * BlockSize && InodesPerGroup % (BlockSize / InodeSize) == 0, block, "superblock.inodes_per_group", $"{InodesPerGroup} is not a whole number of inode-table blocks within one bitmap");
        long groups = (BlockCount + BlocksPerGroup - 1) / BlocksPerGroup;
        Corruption.Check(GroupCount == groups, block, "superblock.group_count", $"{GroupCount} groups, but {BlockCount} blocks make {groups}");
        Corruption.Check(DescriptorBlocks == Geometry.DescriptorBlocksFor(GroupCount, BlockSize), block, "superblock.descriptor_blocks", $"{DescriptorBlocks} descriptor blocks do not fit {GroupCount} groups");
        Corruption.Check(InodeCount == (long)GroupCount * InodesPerGroup, block, "superblock.inode_count", $"{InodeCount} inodes, but {GroupCount} groups of {InodesPerGroup} make {(long)GroupCount * InodesPerGroup}");
        Corruption.Check(FreeBlocks >= 0 && FreeBlocks <= BlockCount, block, "superblock.free_blocks", $"{FreeBlocks} free of {BlockCount}");
        Corruption.Check(FreeInodes >= 0 && FreeInodes <= InodeCount, block, "superblock.free_inodes", $"{FreeInodes} free of {InodeCount}");
        Corruption.Check(FirstInode > (int)Math.Max(RootInode, 2) && FirstInode <= InodesPerGroup, block, "superblock.first_inode", $"{FirstInode} is not past the reserved inodes of the first group");
        Corruption.Check(RootInode >= 1 && RootInode < FirstInode, block, "superblock.root_inode", $"{RootInode} is not a reserved inode");
        Corruption.Check(LostAndFoundInode == 0 || (LostAndFoundInode >= 1 && LostAndFoundInode <= InodeCount), block, "superblock.lost_found_inode", $"{LostAndFoundInode} is out of range");
        Corruption.Check(OrphanHead == 0 || (OrphanHead >= FirstInode && OrphanHead <= InodeCount), block, "superblock.orphan_head", $"{OrphanHead} is out of range");
        Corruption.Check(JournalBlocks >= Journal.JournalLayout.MinBlocks && JournalStart > 0 && JournalStart < BlockCount && JournalBlocks <= BlockCount - JournalStart, block, "superblock.journal", $"a journal of {JournalBlocks} blocks at {JournalStart} is too small or does not lie within the filesystem");
        Corruption.Check(VectorTableBlock >= 0 && VectorTableBlock < BlockCount, block, "superblock.vector_table", $"block {VectorTableBlock} is outside the filesystem");
        // Where mkfs puts it, and nowhere else: a repair writes the MMP block before anything else is checked, so a
        // damaged field must not be able to aim that write at other metadata or at a file's data.
        Corruption.Check(!HasMultiMountProtection || MmpBlock == VectorTableBlock + 1, block, "superblock.mmp_block", $"block {MmpBlock} is not the block after the vector table ({VectorTableBlock}), where the MMP block lies");
        Corruption.Check(!HasMultiMountProtection || MmpInterval is >= 1 and <= Records.MmpBlock.MaxInterval, block, "superblock.mmp_interval", $"an update interval of {MmpInterval} s is not from 1 to {Records.MmpBlock.MaxInterval}");
        Corruption.Check(ChecksumSeed == SeedFor(Uuid), block, "superblock.checksum_seed", "the checksum seed does not belong to this UUID");
        Corruption.Check(CopyGroup >= 0 && CopyGroup <= GroupCount, block, "superblock.copy_group", $"group {CopyGroup} does not exist (the group count names the tail copy)");
    }
}
