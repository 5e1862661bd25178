using VexFs.BlockDevices;
using VexFs.Format.Records;

namespace VexFs.Format;

/// <summary>
/// What a filesystem's superblock says of its health, as dumpe2fs shows it: whether it was cleanly unmounted,
/// whether errors were recorded (an I/O error that latched an instance read-only, an unrepaired fsck finding),
/// whether the journal holds transactions to replay, how often it was mounted since fsck last checked it, and
/// when. <see cref="NeedsCheck"/> says whether fsck should run before the next use.
/// </summary>
public sealed record FileSystemHealth
{
    /// <summary>The filesystem's UUID.</summary>
    public required Guid Uuid { get; init; }

    /// <summary>The volume label (may be empty).</summary>
    public required string Label { get; init; }

    /// <summary>The state word: <see cref="FileSystemState.Clean"/> once cleanly unmounted, <see cref="FileSystemState.Errors"/> once errors were recorded.</summary>
    public required FileSystemState State { get; init; }

    /// <summary>Whether the journal holds committed transactions that the next open (or fsck) replays.</summary>
    public required bool NeedsRecovery { get; init; }

    /// <summary>Opens for writing since the filesystem was made or last checked and repaired by fsck.</summary>
    public required int MountCount { get; init; }

    /// <summary>The opens after which a check is due; 0 or less: no limit (the default, as for ext4 since e2fsprogs 1.42).</summary>
    public required int MaxMountCount { get; init; }

    /// <summary>When the filesystem was made.</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>When it was last opened for writing.</summary>
    public required DateTimeOffset LastMounted { get; init; }

    /// <summary>When its superblock was last written.</summary>
    public required DateTimeOffset LastWritten { get; init; }

    /// <summary>When fsck last checked and wrote it (or when it was made).</summary>
    public required DateTimeOffset LastChecked { get; init; }

    /// <summary>Whether errors were recorded: run fsck.</summary>
    public bool HasErrors => State.HasFlag(FileSystemState.Errors);

    /// <summary>Whether it was cleanly unmounted (false while an instance has it open for writing, or after a crash).</summary>
    public bool CleanlyUnmounted => State.HasFlag(FileSystemState.Clean);

    /// <summary>Whether fsck should check it: errors were recorded, or the mount count reached its limit.</summary>
    public bool NeedsCheck => CheckReason is not null;

    /// <summary>Why a check is due, in words; null when none is.</summary>
    public string? CheckReason =>
        HasErrors ? "errors were recorded"
        : MaxMountCount > 0 && MountCount >= MaxMountCount ? $"mounted {MountCount} times since the last check (limit {MaxMountCount})"
        : null;

    /// <summary>Reads the health of the filesystem on <paramref name="device"/> from its primary superblock, without opening it.</summary>
    /// <exception cref="InvalidFileSystemException">The device holds no readable VexFS superblock.</exception>
    public static FileSystemHealth Read(BlockDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Of(SuperblockCopies.Read(device));
    }

    internal static FileSystemHealth Of(Superblock sb) => new()
    {
        Uuid = sb.Uuid,
        Label = sb.Label,
        State = sb.State,
        NeedsRecovery = sb.Incompatible.HasFlag(IncompatibleFeatures.NeedsRecovery),
        MountCount = sb.MountCount,
        MaxMountCount = sb.MaxMountCount,
        Created = Time(sb.CreatedNs),
        LastMounted = Time(sb.MountedNs),
        LastWritten = Time(sb.WrittenNs),
        LastChecked = Time(sb.CheckedNs),
    };

    private static DateTimeOffset Time(long ns) => DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ns / 1_000_000, 0, 253_402_300_799_999));
}
