namespace VexFs.Format.Check;

/// <summary>How fsck runs.</summary>
public sealed record CheckOptions
{
    /// <summary>Check only: never write (fsck -n).</summary>
    public static CheckOptions Default { get; } = new();

    /// <summary>Repair what is found (fsck -y / -p); otherwise the device is never written.</summary>
    public bool Repair { get; init; }

    /// <summary>Check even a filesystem marked clean (fsck -f).</summary>
    public bool Force { get; init; }

    /// <summary>
    /// This host's name, recorded in the MMP block of a filesystem with multi-mount protection while a repair
    /// holds it; the machine's name by default.
    /// </summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>Reports each pass as it starts.</summary>
    public IProgress<CheckProgress>? Progress { get; init; }
}

/// <summary>Where a check is: pass number (1-5), and how far into it.</summary>
/// <param name="Pass">1 inodes and blocks, 2 directories, 3 connectivity, 4 link counts, 5 bitmaps and counts.</param>
/// <param name="Done">Units done in the pass.</param>
/// <param name="Total">Units in the pass.</param>
public readonly record struct CheckProgress(int Pass, long Done, long Total);
