namespace VexFs.BlockDevices;

/// <summary>How an image file is opened.</summary>
public sealed record ImageFileOptions
{
    /// <summary>Read-write, buffered, 512-byte sectors, locked against other openers.</summary>
    public static ImageFileOptions Default { get; } = new();

    /// <summary>Open for reading only; writes, flushes and discards are refused.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Bypass the page cache (O_DIRECT). The sector size becomes at least the alignment the host filesystem
    /// requires for direct I/O; unaligned buffers are bounced through one pool of aligned buffers.
    /// </summary>
    public bool DirectIO { get; init; }

    /// <summary>The logical sector size to present: a power of two from 512 to 65,536.</summary>
    public int SectorSize { get; init; } = 512;

    /// <summary>
    /// Take an advisory lock (flock) so that a second opener is refused with <see cref="DeviceBusyException"/>:
    /// exclusive for read-write, shared for read-only.
    /// </summary>
    public bool Lock { get; init; } = true;
}
