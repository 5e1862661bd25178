using VexFs.BlockDevices;
using VexFs.Format.Journal;
using VexFs.Format.Records;
using VexFs.Format.Storage;

namespace VexFs.Format.Check;

/// <summary>
/// fsck as a library call, in the manner of e2fsck: the superblock and groups, then five passes (inodes and
/// extent trees, directories, connectivity, link counts, bitmaps and counts), with the vector table checked
/// after the first and the vectors' rows after the fourth, repairing when asked. In check-only mode the
/// device is never written.
/// </summary>
public sealed partial class FileSystemChecker : IDisposable
{
    private BlockDevice _device;
    private readonly CheckOptions _options;
    private readonly CheckReport _report = new();
    private readonly Dictionary<long, InodeInfo> _inodes = [];
    private readonly Dictionary<long, DirectoryInfo> _directories = [];
    private readonly Dictionary<long, int> _references = [];
    private readonly List<InodeInfo> _released = [];
    private Superblock _sb = null!;
    private Geometry _geometry = null!;
    private GroupDescriptor[] _groups = [];
    private bool[] _badDescriptors = [];
    private BlockClaims _claims = null!;
    private MultiMountGuard? _multiMount;
    private IOException? _multiMountLost;
    private bool _usedBackup;
    private bool _descriptorsRepaired;

    /// <summary>Set when the repair changed the superblock itself (its layout, its orphan list), to be written in pass 5.</summary>
    private bool _superblockRepaired;

    private FileSystemChecker(BlockDevice device, CheckOptions options)
    {
        _device = device;
        _options = options;
    }

    private bool Repair => _options.Repair;

    /// <summary>Checks (and, when <see cref="CheckOptions.Repair"/> is set, repairs) the filesystem on <paramref name="device"/>.</summary>
    public static CheckReport Check(BlockDevice device, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= CheckOptions.Default;
        if (options.Repair && device.IsReadOnly)
        {
            throw new ArgumentException($"{device.Description} is read-only; it can be checked but not repaired.", nameof(device));
        }

        using var checker = new FileSystemChecker(device, options);
        try
        {
            checker.Run();
        }
        catch (IOException e) when (e is not InvalidFileSystemException)
        {
            checker._report.OperationalError = $"I/O error while checking {device.Description}: {e.Message}";
        }

        checker.ReleaseMultiMount();
        return checker._report;
    }

    private void Run()
    {
        if (!LoadSuperblock())
        {
            return;
        }

        // As e2fsck: a filesystem with features this version does not know is not checked (nor written).
        var unknown = _sb.ReadOnlyCompatible & ~KnownFeatures.ReadOnlyCompatible;
        if (unknown != 0)
        {
            _report.OperationalError = $"{_device.Description} has read-only-compatible features 0x{(uint)unknown:X} this version does not know; it cannot be checked";
            return;
        }

        if (!CheckMultiMount())
        {
            return;
        }

        // The journal comes first, whatever the superblock says: the library replays whatever it holds at
        // every read-write open, so a check that skipped it would judge metadata the next open changes. A
        // replay, a damaged journal or a superblock taken from a backup forces the full check.
        bool markedClean = _sb.State == FileSystemState.Clean && !_sb.Incompatible.HasFlag(IncompatibleFeatures.NeedsRecovery);
        bool replayed = CheckJournal();
        if (markedClean && !replayed && !_usedBackup && !_options.Force && _report.Findings.Count == 0)
        {
            _report.SkippedClean = true;
            FillCounts();
            return;
        }

        if (Repair)
        {
            StageRepair();
        }

        LoadDescriptors();
        _claims = new BlockClaims(_sb.BlockCount, _sb.BlocksPerGroup);
        ClaimMetadata();
        CheckInodes();
        CheckVectorTable();
        CheckDirectories();
        CheckConnectivity();
        CheckLinkCounts();
        CheckVectorRows();
        NoteDroppedIndexes();
        CheckBitmapsAndCounts();
        FillCounts();
        if (Repair)
        {
            CommitRepair();
        }
    }

    /// <summary>
    /// From here on a repair's writes are held in memory, to be committed through the journal as one
    /// transaction (see <see cref="CommitRepair"/>): a power cut during fsck -y then leaves the filesystem as
    /// it was or wholly repaired, the orphans released or not. A repair larger than the journal is written in
    /// place, as e2fsck writes every repair.
    /// </summary>
    private void StageRepair()
    {
        long capacity = TransactionRecords.Capacity(_sb.JournalBlocks, _sb.BlockSize);
        _device = new OverlayDevice(_device, _sb.BlockSize, readOnly: false, ownsInner: false, holdAtMost: capacity);
    }

    private void CommitRepair()
    {
        using var overlay = (OverlayDevice)_device;
        _device = overlay.Inner;
        if (!overlay.Spilled && overlay.Held.Count > 0)
        {
            var blocks = overlay.Held.OrderBy(kv => kv.Key).Select(kv => new JournaledBlock(kv.Key, kv.Value)).ToList();
            if (JournalReplay.CommitOnce(_device, JournalArea.Of(_sb), new JournalTransaction(blocks, [], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000)))
            {
                return;
            }

            overlay.Spill();
        }

        if (_report.Modified)
        {
            _device.Flush();
        }
    }

    /// <summary>Lets go of a repair's staged writes that were never committed (a check that failed midway).</summary>
    public void Dispose()
    {
        _multiMount?.Dispose();
        if (_device is OverlayDevice overlay)
        {
            _device = overlay.Inner;
            overlay.Dispose();
        }
    }

    private void FillCounts()
    {
        _report.InodeCount = _sb.InodeCount;
        _report.BlockCount = _sb.BlockCount;
        if (_report.SkippedClean)
        {
            _report.InodesUsed = _sb.InodeCount - _sb.FreeInodes;
            _report.BlocksUsed = _sb.BlockCount - _sb.FreeBlocks;
            return;
        }

        _report.InodesUsed = _inodes.Count + _sb.FirstInode - 2;
        _report.BlocksUsed = _claims.Count;
        _report.Directories = _inodes.Values.Count(i => i.Type == UnixFileType.Directory);
        _report.Files = _inodes.Values.Count(i => i.Type == UnixFileType.RegularFile && !i.Inode.Flags.HasFlag(InodeFlags.System));
    }

    private void Found(string area, string problem, bool fixedNow = false) => _report.Add(area, problem, fixedNow);

    private void Progress(int pass, long done, long total) => _options.Progress?.Report(new CheckProgress(pass, done, total));

    /// <summary>What pass 1 learned about an inode in use.</summary>
    private sealed class InodeInfo(long number, Inode inode, List<Extent> extents, List<long> treeBlocks)
    {
        public long Number { get; } = number;

        public Inode Inode { get; set; } = inode;

        public List<Extent> Extents { get; } = extents;

        public List<long> TreeBlocks { get; } = treeBlocks;

        public UnixFileType Type => Inode.Mode.Type();
    }

    /// <summary>What pass 2 learned about a directory.</summary>
    private sealed class DirectoryInfo
    {
        public long HeaderParent { get; set; }

        public List<(string Name, long Inode, UnixFileType Type)> Entries { get; } = [];

        public bool Readable { get; set; }
    }
}
