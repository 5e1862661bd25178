namespace VexFs.Format.Check;

/// <summary>One inconsistency found by fsck, and whether it was repaired.</summary>
/// <param name="Area">Where: superblock, group, inode, directory, journal, bitmap, vectors.</param>
/// <param name="Problem">What is wrong, naming the block, inode or field.</param>
/// <param name="Fixed">Whether the repair run fixed it.</param>
public sealed record CheckFinding(string Area, string Problem, bool Fixed)
{
    /// <inheritdoc />
    public override string ToString() => $"{Area}: {Problem}{(Fixed ? " (fixed)" : string.Empty)}";
}

/// <summary>What fsck found, with the fsck(8) exit code it implies.</summary>
public sealed class CheckReport
{
    /// <summary>No errors.</summary>
    public const int ExitClean = 0;

    /// <summary>Errors were found and corrected.</summary>
    public const int ExitCorrected = 1;

    /// <summary>Errors were left uncorrected.</summary>
    public const int ExitUncorrected = 4;

    /// <summary>An operational error: the device could not be read, or no valid superblock was found.</summary>
    public const int ExitOperationalError = 8;

    /// <summary>A usage or syntax error.</summary>
    public const int ExitUsage = 16;

    /// <summary>The check was cancelled.</summary>
    public const int ExitCancelled = 32;

    private readonly List<CheckFinding> _findings = [];

    /// <summary>Every inconsistency found, in the order found.</summary>
    public IReadOnlyList<CheckFinding> Findings => _findings;

    /// <summary>Why the check could not run, when it could not.</summary>
    public string? OperationalError { get; internal set; }

    /// <summary>The check was skipped because the filesystem is marked clean and no force was asked.</summary>
    public bool SkippedClean { get; internal set; }

    /// <summary>Whether anything was written to the device.</summary>
    public bool Modified { get; internal set; }

    /// <summary>Files on the orphan list (unlinked while open) that the repair released, as the library's open after a crash does.</summary>
    public long OrphansReleased { get; internal set; }

    /// <summary>Counts for the summary line.</summary>
    public long Files { get; internal set; }

    /// <summary>Directories found in use.</summary>
    public long Directories { get; internal set; }

    /// <summary>Vectors stored: the rows in use, in all vector spaces.</summary>
    public long Vectors { get; internal set; }

    /// <summary>Saved search indexes that were verified against their spaces' rows.</summary>
    public int SavedIndexes { get; internal set; }

    /// <summary>
    /// The vector spaces whose saved index this repair dropped (a damaged index, or rows it no longer matches):
    /// their index is built from the rows at the next open, or at once by whoever ran the repair.
    /// </summary>
    public IReadOnlyList<string> DroppedIndexes { get; internal set; } = [];

    /// <summary>Inodes in use, of <see cref="InodeCount"/>.</summary>
    public long InodesUsed { get; internal set; }

    /// <summary>Inodes in all.</summary>
    public long InodeCount { get; internal set; }

    /// <summary>Blocks in use, of <see cref="BlockCount"/>.</summary>
    public long BlocksUsed { get; internal set; }

    /// <summary>Blocks in all.</summary>
    public long BlockCount { get; internal set; }

    /// <summary>Whether no inconsistency is left.</summary>
    public bool IsClean => OperationalError is null && _findings.All(f => f.Fixed);

    /// <summary>The fsck(8) exit code: 0 clean, 1 corrected, 4 uncorrected, 8 operational error.</summary>
    public int ExitCode => OperationalError is not null ? ExitOperationalError
        : _findings.Any(f => !f.Fixed) ? ExitUncorrected
        : _findings.Count > 0 ? ExitCorrected
        : ExitClean;

    internal void Add(string area, string problem, bool fixedNow) => _findings.Add(new CheckFinding(area, problem, fixedNow));
}
