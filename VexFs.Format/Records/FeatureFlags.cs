namespace VexFs.Format.Records;

/// <summary>Features a reader may ignore: it can still read and write the filesystem.</summary>
[Flags]
public enum CompatibleFeatures : uint
{
    /// <summary>No compatible features.</summary>
    None = 0,

    /// <summary>Extended attributes are in use.</summary>
    ExtendedAttributes = 1 << 0,
}

/// <summary>Features a reader must understand to read the filesystem at all; unknown ones make it refuse.</summary>
[Flags]
public enum IncompatibleFeatures : uint
{
    /// <summary>No incompatible features.</summary>
    None = 0,

    /// <summary>The journal holds committed transactions that must be replayed before anything is read.</summary>
    NeedsRecovery = 1 << 0,

    /// <summary>The vector area holds vector spaces.</summary>
    VectorSpaces = 1 << 1,

    /// <summary>
    /// Multi-mount protection: a writer announces itself in the MMP block and keeps it updated, so that a second
    /// host sharing the device refuses to open it for writing; a reader that does not know the protocol must not
    /// open it at all.
    /// </summary>
    MultiMountProtection = 1 << 2,
}

/// <summary>Features a reader must understand to write; with unknown ones it may only read.</summary>
[Flags]
public enum ReadOnlyCompatibleFeatures : uint
{
    /// <summary>No read-only-compatible features.</summary>
    None = 0,

    /// <summary>Bitmaps and inode tables of unused groups are not initialised on disk.</summary>
    LazyGroupInit = 1 << 0,

    /// <summary>Inodes unlinked while open are chained from the superblock until reclaimed.</summary>
    OrphanList = 1 << 1,

    /// <summary>
    /// A one-group filesystem keeps a copy of the superblock and descriptor table in its last blocks, since it
    /// has no group 1 to hold a backup; an older writer would not keep that copy up to date.
    /// </summary>
    TailCopy = 1 << 2,

    /// <summary>
    /// A vector space has a saved search index, or marks of the rows written since: an older writer would change
    /// rows without marking them, and the index would no longer match them.
    /// </summary>
    SavedVectorIndex = 1 << 3,
}

/// <summary>The features this version of VexFS understands.</summary>
internal static class KnownFeatures
{
    public const CompatibleFeatures Compatible = CompatibleFeatures.ExtendedAttributes;
    public const IncompatibleFeatures Incompatible = IncompatibleFeatures.NeedsRecovery | IncompatibleFeatures.VectorSpaces | IncompatibleFeatures.MultiMountProtection;
    public const ReadOnlyCompatibleFeatures ReadOnlyCompatible = ReadOnlyCompatibleFeatures.LazyGroupInit | ReadOnlyCompatibleFeatures.OrphanList | ReadOnlyCompatibleFeatures.TailCopy
        | ReadOnlyCompatibleFeatures.SavedVectorIndex;
}
