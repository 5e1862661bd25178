using VexFs.Format.VectorArea;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;

namespace VexFs.Core.Vectors;

/// <summary>One vector space in memory: where each owner's row is, the free rows, and the search index built from the rows.</summary>
internal sealed class SpaceState(VectorSpaceRecord record, HnswOptions options) : IDisposable
{
    public VectorSpaceRecord Record { get; set; } = record;

    public VectorSpace Space { get; } = new(record.Definition.Dimension, record.Definition.Metric);

    public HnswIndex Index { get; } = new(new VectorSpace(record.Definition.Dimension, record.Definition.Metric), options);

    /// <summary>The row of each owner.</summary>
    public Dictionary<long, long> RowOf { get; } = [];

    /// <summary>Rows the rows inode holds that are free, lowest first.</summary>
    public SortedSet<long> Free { get; } = [];

    /// <summary>Rows the rows inode holds, used or free.</summary>
    public long Rows { get; set; }

    public void Dispose() => Index.Dispose();
}
