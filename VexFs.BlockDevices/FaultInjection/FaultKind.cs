namespace VexFs.BlockDevices.FaultInjection;

/// <summary>What an injected fault does to the operation it strikes.</summary>
public enum FaultKind
{
    /// <summary>The operation fails with an I/O error (EIO) and has no effect.</summary>
    IOError,

    /// <summary>A write stores a prefix of its sectors (possibly none), then fails with an I/O error.</summary>
    ShortWrite,

    /// <summary>A write stores a random proper subset of its sectors, then fails with an I/O error.</summary>
    TornWrite,

    /// <summary>A write fails with <see cref="DiskFullException"/> (ENOSPC) and has no effect.</summary>
    DiskFull,

    /// <summary>The operation is delayed by <see cref="FaultRule.Latency"/>, then succeeds.</summary>
    Latency,
}
