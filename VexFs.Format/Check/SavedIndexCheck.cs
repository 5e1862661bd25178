using VexFs.Format.VectorArea;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Persistence;

namespace VexFs.Format.Check;

/// <summary>
/// A space's saved index as fsck verifies it: loaded whole, then held to each row in use as the rows pass reads
/// them, except the rows its changes inode marks. Its first disagreement is the problem that drops it.
/// </summary>
internal sealed class SavedIndexCheck : IDisposable
{
    // A vector the index holds may differ from its row's in the last bits: the index normalizes a cosine
    // vector again when it stores it.
    private const float Tolerance = 1e-5f;

    private readonly HnswIndex? _index;
    private readonly HashSet<long> _changed = [];
    private readonly Dictionary<long, long> _ownerAt = [];
    private readonly HashSet<long> _seen = [];

    /// <summary>An index that could not be loaded, for <paramref name="problem"/>.</summary>
    public SavedIndexCheck(string problem) => Problem = problem;

    /// <summary>A loaded index, the rows its changes inode marks, and the rows the space holds.</summary>
    public SavedIndexCheck(HnswIndex index, HashSet<long> changed, long rows)
    {
        _index = index;
        _changed = changed;
        foreach (long key in index.GetIds())
        {
            long row = VectorKey.Row(key), owner = VectorKey.Owner(key);
            if (row >= rows || !_ownerAt.TryAdd(row, owner))
            {
                Problem ??= $"holds row {row} {(row >= rows ? $"past the {rows} rows" : "twice")}";
            }
        }
    }

    /// <summary>
    /// Loads a saved index with its vectors, or, when it was saved without them (its floats are the rows'), with
    /// its codes and links only: then its keys are held to the rows, and there are no vectors to compare.
    /// </summary>
    public static HnswIndex Load(IPageStore store)
    {
        try
        {
            return HnswIndex.Load(store);
        }
        catch (ArgumentException)
        {
            return HnswIndex.Load(store, new NoVectors());
        }
    }

    /// <summary>The first disagreement found, or null.</summary>
    public string? Problem { get; set; }

    /// <summary>Holds row <paramref name="row"/> in use by <paramref name="owner"/>, with <paramref name="vector"/>, to the index.</summary>
    public void Verify(long row, long owner, ReadOnlySpan<float> vector)
    {
        if (_index is null || Problem is not null || _changed.Contains(row))
        {
            return;
        }

        _seen.Add(row);
        if (!_ownerAt.TryGetValue(row, out long held) || held != owner)
        {
            Problem = $"has {(_ownerAt.ContainsKey(row) ? $"inode {held}'s vector" : "no vector")} in row {row}, where the rows have inode {owner}'s";
            return;
        }

        if (_index.OwnerKeepsVectors)
        {
            return;
        }

        var stored = _index.GetVector(VectorKey.Of(row, owner));
        float scale = 1;
        foreach (float component in vector)
        {
            scale = Math.Max(scale, Math.Abs(component));
        }

        for (int i = 0; i < vector.Length; i++)
        {
            if (Math.Abs(stored[i] - vector[i]) > Tolerance * scale)
            {
                Problem = $"has a vector for inode {owner} (row {row}) that differs from the row's";
                return;
            }
        }
    }

    /// <summary>After the rows pass: a row the index holds that is neither in use nor marked, or null.</summary>
    public string? MissingRow()
    {
        foreach (var (row, owner) in _ownerAt)
        {
            if (!_seen.Contains(row) && !_changed.Contains(row))
            {
                return $"holds inode {owner}'s vector in row {row}, which the rows do not have and which is not marked as changed since the save";
            }
        }

        return null;
    }

    public void Dispose() => _index?.Dispose();

    /// <summary>For an index whose vectors are the rows: fsck compares its keys and reads no vector through it.</summary>
    private sealed class NoVectors : IVectorReader
    {
        public void Read(long id, Span<float> destination) =>
            throw new InvalidOperationException("fsck reads the rows, not the vectors through the saved index.");
    }
}
