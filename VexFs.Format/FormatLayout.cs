using System.IO.Hashing;
using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Format;

/// <summary>What mkfs will write, computed from the device size and the options without touching the device.</summary>
public sealed class FormatLayout
{
    internal const int RootDirectoryBlocks = 2;
    internal const int LostAndFoundBlocks = 2;
    internal const long LostAndFoundInode = 11;
    internal const int FirstOrdinaryInode = 11;
    private const long RootInodeNumber = 2;

    private FormatLayout(Superblock superblock, IReadOnlyList<GroupPlan> groups, long rootDirectory, long lostAndFound)
    {
        Superblock = superblock;
        Geometry = new Geometry(superblock);
        Groups = groups;
        RootDirectoryBlock = rootDirectory;
        LostAndFoundBlock = lostAndFound;
    }

    /// <summary>The block size in bytes.</summary>
    public int BlockSize => Superblock.BlockSize;

    /// <summary>The number of blocks.</summary>
    public long BlockCount => Superblock.BlockCount;

    /// <summary>The number of block groups.</summary>
    public int GroupCount => Superblock.GroupCount;

    /// <summary>Blocks in each group (the last may have fewer).</summary>
    public int BlocksPerGroup => Superblock.BlocksPerGroup;

    /// <summary>Inodes in each group.</summary>
    public int InodesPerGroup => Superblock.InodesPerGroup;

    /// <summary>The total number of inodes.</summary>
    public long InodeCount => Superblock.InodeCount;

    /// <summary>The first block of the journal.</summary>
    public long JournalStart => Superblock.JournalStart;

    /// <summary>The journal's length in blocks.</summary>
    public long JournalBlocks => Superblock.JournalBlocks;

    /// <summary>The blocks free after formatting.</summary>
    public long FreeBlocks => Superblock.FreeBlocks;

    /// <summary>The filesystem's UUID.</summary>
    public Guid Uuid => Superblock.Uuid;

    /// <summary>The groups that hold backup copies of the superblock.</summary>
    public IEnumerable<int> BackupGroups => Enumerable.Range(1, Math.Max(0, GroupCount - 1)).Where(Geometry.HasSuperblockCopy);

    internal Superblock Superblock { get; }

    internal Geometry Geometry { get; }

    internal IReadOnlyList<GroupPlan> Groups { get; }

    internal long RootDirectoryBlock { get; }

    internal long LostAndFoundBlock { get; }

    /// <summary>
    /// Plans a filesystem for a device of <paramref name="deviceLength"/> bytes with <paramref name="sectorSize"/>-byte
    /// sectors; an impossible request raises <see cref="ArgumentException"/> that says why.
    /// </summary>
    public static FormatLayout Plan(long deviceLength, int sectorSize, FormatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException($"Invalid format options: {problem}.", nameof(options));
        }

        int blockSize = options.BlockSize;
        if (blockSize < sectorSize)
        {
            throw new ArgumentException($"The block size {blockSize} is smaller than the device's {sectorSize}-byte sectors.", nameof(options));
        }

        int blocksPerGroup = 8 * blockSize;
        long blockCount = deviceLength / blockSize;
        int inodesPerBlock = blockSize / options.InodeSize;
        long groups = Math.Max(1, (blockCount + blocksPerGroup - 1) / blocksPerGroup);
        if (groups > int.MaxValue / 2)
        {
            throw new ArgumentException($"A device of {deviceLength} bytes needs {groups} groups of {blockSize}-byte blocks; use larger blocks.", nameof(deviceLength));
        }

        int descriptorBlocks = Geometry.DescriptorBlocksFor(groups, blockSize);
        long wantedInodes = options.InodeCount ?? Math.Max(16, deviceLength / options.BytesPerInode);
        int inodesPerGroup = (int)Math.Clamp((wantedInodes + groups - 1) / groups, 16, 8L * blockSize);
        inodesPerGroup = (inodesPerGroup + inodesPerBlock - 1) / inodesPerBlock * inodesPerBlock;
        inodesPerGroup = Math.Min(inodesPerGroup, 8 * blockSize / inodesPerBlock * inodesPerBlock);
        int inodeTableBlocks = inodesPerGroup / inodesPerBlock;

        // The last group must hold its own bitmaps and inode table and some data; otherwise it is dropped.
        long lastStart = (groups - 1) * blocksPerGroup;
        int lastOverhead = OverheadOf((int)(groups - 1), descriptorBlocks, inodeTableBlocks, blockSize);
        if (groups > 1 && blockCount - lastStart < lastOverhead + 16)
        {
            groups--;
            blockCount = groups * blocksPerGroup;
            descriptorBlocks = Geometry.DescriptorBlocksFor(groups, blockSize);
        }

        // A one-group filesystem has no group 1 for a backup: it keeps a copy in its last blocks instead.
        int tailCopy = groups == 1 ? 1 + descriptorBlocks : 0;
        int group0Overhead = OverheadOf(0, descriptorBlocks, inodeTableBlocks, blockSize);
        long group0Blocks = Math.Min(blocksPerGroup, blockCount);
        long fixedData = RootDirectoryBlocks + LostAndFoundBlocks + 1 + (options.MultiMountProtection ? 1 : 0);
        long journalRoom = group0Blocks - group0Overhead - fixedData - tailCopy;
        long journalBlocks = options.JournalSize is { } size
            ? (size + blockSize - 1) / blockSize
            : JournalLayout.DefaultBlocks(blockCount, blockSize, journalRoom - 16);
        if (journalBlocks < JournalLayout.MinBlocks || journalBlocks > journalRoom)
        {
            throw journalRoom < JournalLayout.MinBlocks
                ? new ArgumentException($"A device of {deviceLength} bytes is too small for a VexFS filesystem with {blockSize}-byte blocks.", nameof(deviceLength))
                : new ArgumentException($"The journal must be {JournalLayout.MinBlocks} to {journalRoom} blocks here; {journalBlocks} were asked for.", nameof(options));
        }

        long journalStart = group0Overhead;
        long rootDirectory = journalStart + journalBlocks;
        long lostAndFound = rootDirectory + RootDirectoryBlocks;
        long vectorTable = lostAndFound + LostAndFoundBlocks;
        long mmpBlock = options.MultiMountProtection ? vectorTable + 1 : 0;
        var uuid = options.Uuid ?? Guid.NewGuid();
        long now = (options.Timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() * 1_000_000;

        var plans = new List<GroupPlan>((int)groups);
        long freeBlocks = 0;
        for (int g = 0; g < groups; g++)
        {
            long start = (long)g * blocksPerGroup;
            int inGroup = (int)Math.Min(blocksPerGroup, blockCount - start);
            int superblockArea = !Geometry.HasSuperblockCopy(g) ? 0 : (g == 0 ? Geometry.PrimarySuperblockBlocks(blockSize) : 1) + descriptorBlocks;
            long blockBitmap = start + superblockArea;
            int used = superblockArea + 2 + inodeTableBlocks + (g == 0 ? (int)(journalBlocks + fixedData) + tailCopy : 0);
            plans.Add(new GroupPlan(g, start, inGroup, superblockArea, blockBitmap, blockBitmap + 1, blockBitmap + 2, used));
            freeBlocks += inGroup - used;
        }

        var superblock = new Superblock
        {
            ReadOnlyCompatible = ReadOnlyCompatibleFeatures.LazyGroupInit | ReadOnlyCompatibleFeatures.OrphanList | (tailCopy > 0 ? ReadOnlyCompatibleFeatures.TailCopy : ReadOnlyCompatibleFeatures.None),
            Incompatible = (options.VectorSpaces.Count > 0 ? IncompatibleFeatures.VectorSpaces : IncompatibleFeatures.None)
                | (options.MultiMountProtection ? IncompatibleFeatures.MultiMountProtection : IncompatibleFeatures.None),
            BlockSizeLog2 = System.Numerics.BitOperations.Log2((uint)blockSize),
            BlockCount = blockCount,
            FreeBlocks = freeBlocks,
            InodeCount = groups * inodesPerGroup,
            FreeInodes = (groups * inodesPerGroup) - FirstOrdinaryInode,
            BlocksPerGroup = blocksPerGroup,
            InodesPerGroup = inodesPerGroup,
            InodeSize = options.InodeSize,
            State = FileSystemState.Clean,
            GroupCount = (int)groups,
            DescriptorBlocks = descriptorBlocks,
            Uuid = uuid,
            Label = options.Label,
            JournalStart = journalStart,
            JournalBlocks = journalBlocks,
            VectorTableBlock = vectorTable,
            MmpBlock = mmpBlock,
            MmpInterval = options.MultiMountProtection ? options.MmpUpdateInterval : 0,
            RootInode = RootInodeNumber,
            LostAndFoundInode = LostAndFoundInode,
            HashSeed = XxHash64.HashToUInt64(uuid.ToByteArray()),
            CreatedNs = now,
            WrittenNs = now,
            CheckedNs = now,
            MaxMountCount = 0,
            ChecksumSeed = Superblock.SeedFor(uuid),
            FirstInode = FirstOrdinaryInode,
        };
        return new FormatLayout(superblock, plans, rootDirectory, lostAndFound);
    }

    /// <summary>A human-readable summary, as mkfs prints it.</summary>
    public string Describe()
    {
        var backups = BackupGroups.Select(g => Geometry.GroupStart(g)).ToList();
        var lines = new List<string>
        {
            $"Filesystem UUID: {Uuid}",
            $"Label: {(Superblock.Label.Length == 0 ? "(none)" : Superblock.Label)}",
            $"Block size: {BlockSize} bytes; {BlockCount} blocks ({BlockCount * BlockSize} bytes)",
            $"{GroupCount} block groups of {BlocksPerGroup} blocks; {InodesPerGroup} inodes per group; {InodeCount} inodes of {Superblock.InodeSize} bytes",
            $"Journal: {JournalBlocks} blocks at block {JournalStart}",
        };
        if (Superblock.HasMultiMountProtection)
        {
            lines.Add($"Multi-mount protection: block {Superblock.MmpBlock}, update interval {Superblock.MmpInterval} s");
        }

        lines.Add($"Free after format: {FreeBlocks} blocks, {Superblock.FreeInodes} inodes");
        lines.Add(backups.Count == 0 ? $"Superblock backup stored on block {Geometry.TailCopyBlock} (one group: a copy in the last blocks)" : $"Superblock backups stored on blocks: {string.Join(", ", backups)}");
        return string.Join(Environment.NewLine, lines);
    }

    private static int OverheadOf(int group, int descriptorBlocks, int inodeTableBlocks, int blockSize) =>
        (!Geometry.HasSuperblockCopy(group) ? 0 : (group == 0 ? Geometry.PrimarySuperblockBlocks(blockSize) : 1) + descriptorBlocks) + 2 + inodeTableBlocks;

    /// <summary>Where one group's metadata goes and how many of its blocks the new filesystem uses.</summary>
    internal readonly record struct GroupPlan(int Group, long Start, int Blocks, int SuperblockArea, long BlockBitmap, long InodeBitmap, long InodeTable, int UsedBlocks);
}
