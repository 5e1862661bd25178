using VexFs.Vectors;
using VexFs.Vectors.Hnsw;

namespace VexFs.Core;

/// <summary>How a filesystem is opened.</summary>
public sealed record VexFileSystemOptions
{
    /// <summary>Read-write, committing on its own after 4,096 operations, 16 MiB of changed metadata or 5 seconds.</summary>
    public static VexFileSystemOptions Default { get; } = new();

    /// <summary>Open without writing anything; every change is refused.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// How many finished operations may wait in memory before they are committed to the journal without a
    /// <see cref="VexFileSystem.Flush"/>; 4,096 by default.
    /// </summary>
    public int MaxUnflushedOperations { get; init; } = 4096;

    /// <summary>How many bytes of changed metadata may wait in memory before they are committed; 16 MiB by default.</summary>
    public long MaxUnflushedBytes { get; init; } = 16 << 20;

    /// <summary>
    /// How long a finished operation may wait before the next operation commits it (as ext4's commit interval);
    /// 5 seconds by default.
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(5);

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

    /// <summary>
    /// How each vector space's search index is built (HNSW: M 16, efConstruction 200, efSearch 64 by default).
    /// The index is derived from the stored vectors: changing this changes searches, never what is stored.
    /// </summary>
    public HnswOptions VectorIndex { get; init; } = HnswOptions.Default;

    /// <summary>
    /// Where each space's search index keeps the float vectors. <see cref="VectorResidency.Memory"/> (the default):
    /// beside the rows on the device, a copy in memory, the fastest searches. <see cref="VectorResidency.Device"/>:
    /// only in the rows; the index holds codes and the graph, builds the graph from the codes, and reads each
    /// search's final candidates from their rows to rank them exactly. The codes are int8 (about a quarter of the
    /// memory at 384 dimensions and above) unless <see cref="VectorIndex"/> asks for rotated codes of one, two or
    /// four bits per dimension (<see cref="VexFs.Vectors.Quantization.VectorQuantization.Binary"/>, <c>TwoBit</c>,
    /// <c>FourBit</c>: a thirty-second to an eighth of the floats' bytes). A space takes that form once it holds
    /// <see cref="HnswOptions.QuantizationTrainingSize"/> vectors, the codes being fitted to them. Either way the
    /// rows are the truth and the search answers are exact distances.
    /// </summary>
    public VectorResidency VectorResidency { get; init; } = VectorResidency.Memory;

    /// <summary>
    /// How many threads link new vectors into a space's search index when an operation brings many at once (a
    /// <see cref="VexFileSystem.SetVectors"/> batch) or an index is built from the rows at open: all processors by
    /// default (-1). The graph then depends on the threads' timing; with 1 it is the same every time.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Neither -1 nor a positive count.</exception>
    public int VectorIndexThreads
    {
        get;
        init => field = value is -1 or > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The threads that link vectors are -1 (all processors) or a positive count.");
    } = -1;

    /// <summary>
    /// This host's name, recorded in the MMP block of a filesystem with multi-mount protection while it is open for
    /// writing, so that another host refused the filesystem can say who has it; the machine's name by default.
    /// </summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>
    /// Where the filesystem's <c>VexFs</c> meter comes from (the host's, through dependency injection); without
    /// one the filesystem makes its own, which listeners (dotnet-counters, OpenTelemetry) find by its name alike.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Where the filesystem logs what an operator should know of: journal recovery, orphans reclaimed, an I/O
    /// error that latched it read-only, errors or a due check recorded in the superblock, a saved vector index
    /// that could not be used. Without one it logs nothing.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }
}
