namespace VexFs.BlockDevices.FaultInjection;

/// <summary>The kinds of device operation a fault rule applies to.</summary>
[Flags]
public enum DeviceOperations
{
    /// <summary>No operation.</summary>
    None = 0,

    /// <summary>Reads.</summary>
    Read = 1,

    /// <summary>Writes.</summary>
    Write = 2,

    /// <summary>Flushes.</summary>
    Flush = 4,

    /// <summary>Discards.</summary>
    Discard = 8,

    /// <summary>Every operation.</summary>
    All = Read | Write | Flush | Discard,
}
