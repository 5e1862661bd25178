using VexFs.Format.VectorArea;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;

namespace VexFs.Core.Vectors;

/// <summary>One vector space in memory: where each owner's row is, the free rows, and the search index over the rows.</summary>
internal sealed class SpaceState(VectorSpaceRecord record, HnswOptions options) : IDisposable
{
    public VectorSpaceRecord Record { get; set; } = record;

    public VectorSpace Space { get; } = new(record.Definition.Dimension, record.Definition.Metric);

    /// <summary>The search index, keyed by <see cref="VectorKey"/>: built from the rows, or loaded as saved and caught up.</summary>
    public HnswIndex Index { get; set; } = new(new VectorSpace(record.Definition.Dimension, record.Definition.Metric), options);

    /// <summary>Whether the index was loaded as saved (and caught up from the changed rows) rather than built from every row.</summary>
    public bool IndexLoaded { get; set; }

    /// <summary>The search scopes kept between searches.</summary>
    public ScopeCache Scopes { get; } = new(new VectorSpace(record.Definition.Dimension, record.Definition.Metric));

    /// <summary>The row of each owner.</summary>
    public Dictionary<long, long> RowOf { get; } = [];

    /// <summary>Rows the rows inode holds that are free, lowest first.</summary>
    public SortedSet<long> Free { get; } = [];

    /// <summary>Rows the rows inode holds, used or free.</summary>
    public long Rows { get; set; }

    /// <summary>Rows written since the index was saved (since the open, when none is saved).</summary>
    public long Unsaved { get; set; }

    /// <summary>Whether the index differs from the one saved (or none is saved while there are vectors).</summary>
    public bool NeedsSave => Unsaved > 0 || (Record.IndexInode == 0 && RowOf.Count > 0);

    /// <summary>
    /// Whether a clean close saves the index: none is saved while there are vectors, or the rows written since
    /// the save (which the next open reads one by one to catch up) reach a sixteenth of the vectors.
    /// </summary>
    public bool WorthSaving => (Record.IndexInode == 0 && RowOf.Count > 0) || (Unsaved > 0 && Unsaved >= RowOf.Count / 16);

    /// <summary>The index key of <paramref name="owner"/>'s vector, which must exist.</summary>
    public long Key(long owner) => VectorKey.Of(RowOf[owner], owner);

    public void Dispose() => Index.Dispose();
}
