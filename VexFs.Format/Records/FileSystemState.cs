namespace VexFs.Format.Records;

/// <summary>The state flags of a filesystem, as kept in its superblock.</summary>
[Flags]
public enum FileSystemState : ushort
{
    /// <summary>Mounted, or not cleanly unmounted.</summary>
    NotClean = 0,

    /// <summary>Cleanly unmounted.</summary>
    Clean = 1 << 0,

    /// <summary>Errors were detected; run fsck.</summary>
    Errors = 1 << 1,
}
