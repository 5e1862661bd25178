namespace VexFs.Core;

/// <summary>How a filesystem is opened.</summary>
public sealed record VexFileSystemOptions
{
    /// <summary>Read-write, committing on its own after 256 unflushed operations.</summary>
    public static VexFileSystemOptions Default { get; } = new();

    /// <summary>Open without writing anything; every change is refused.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// How many finished operations may wait in memory before they are committed to the journal without a
    /// <see cref="VexFileSystem.Flush"/>.
    /// </summary>
    public int MaxUnflushedOperations { get; init; } = 256;

    /// <summary>
    /// The most memory the cache of metadata blocks (inodes, directories, extent trees, bitmaps) may hold;
    /// 32 MiB by default, 0 for none.
    /// </summary>
    public long BlockCacheBytes { get; init; } = 32 << 20;

    /// <summary>
    /// How many names found by lookups are remembered (as the kernel's dentry cache does), 65,536 by default
    /// (about 13 MiB), 0 for none.
    /// </summary>
    public int NameCacheEntries { get; init; } = 1 << 16;
}
