namespace VexFs.Bench.FileSystem;

/// <summary>
/// The operations the metadata workload makes, on one filesystem. Paths are absolute within it
/// ('/small/f000001').
/// </summary>
internal abstract class MetadataTarget
{
    public abstract void CreateDirectory(string path);

    /// <summary>Creates an empty file and makes it durable (fsync) before returning.</summary>
    public abstract void CreateDurably(string path);

    /// <summary>Creates an empty file, without waiting for it to be durable.</summary>
    public abstract void Create(string path);

    /// <summary>Reads the file's attributes and returns its size.</summary>
    public abstract long Stat(string path);

    public abstract void Delete(string path);

    /// <summary>Enumerates a directory's names and returns how many there are.</summary>
    public abstract int List(string directory);

    /// <summary>Makes every change below <paramref name="directory"/> durable.</summary>
    public abstract void Sync(string directory);

    /// <summary>Forgets what is cached, so that the next operation starts cold.</summary>
    public abstract void DropCaches();
}
