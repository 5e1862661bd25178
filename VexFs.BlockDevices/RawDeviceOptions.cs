namespace VexFs.BlockDevices;

/// <summary>How a Linux block device is opened.</summary>
public sealed record RawDeviceOptions
{
    /// <summary>Read-write, exclusive, O_DIRECT, refusing a mounted device.</summary>
    public static RawDeviceOptions Default { get; } = new();

    /// <summary>Open for reading only; writes, flushes and discards are refused.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Bypass the page cache (O_DIRECT); unaligned buffers are bounced through an aligned pool.</summary>
    public bool DirectIO { get; init; } = true;

    /// <summary>
    /// Open with O_EXCL so that the kernel refuses a device that is mounted or claimed by someone else.
    /// Always on for read-write opens.
    /// </summary>
    public bool Exclusive { get; init; } = true;

    /// <summary>
    /// Allow a read-only open of a device that is mounted (a check of a mounted filesystem). A read-write open
    /// of a mounted device is always refused.
    /// </summary>
    public bool AllowMountedReadOnly { get; init; }
}
