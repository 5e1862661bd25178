using VexFs.Vectors;
using VexFs.Vectors.Flat;

namespace VexFs.Core.Vectors;

/// <summary>
/// The search scopes of one space (a directory, alone or with its subtree) kept between searches, until the
/// namespace or the space's vectors change. A small scope holds a dense copy of its vectors, which a search
/// compares with the query one by one, exactly; a larger one holds the set of its index keys, which filters a
/// walk of the graph.
/// </summary>
/// <remarks>
/// Safe for concurrent searches: a scope, once built, never changes; a stale one is replaced. What is kept is
/// bounded: at most <see cref="MaxScopes"/> scopes holding <see cref="MaxKeptBytes"/> between them, the least
/// recently used leaving first; a scope larger than that on its own is built for its search and not kept.
/// </remarks>
internal sealed class ScopeCache(VectorSpace space)
{
    /// <summary>The most scopes kept.</summary>
    private const int MaxScopes = 32;

    /// <summary>The most bytes the kept scopes hold between them (dense vectors, and key sets at about 32 bytes a key).</summary>
    private const long MaxKeptBytes = 128L << 20;

    /// <summary>
    /// The most vector bytes one dense scope copies: 10,000 vectors of 1,024 dimensions (40 MB), screened with
    /// byte codes, are searched exactly at about 4,400 QPS, where comparing the index's codes of the same scope ran
    /// at 130 QPS and was not exact.
    /// </summary>
    private const long MaxDenseBytes = 64L << 20;

    /// <summary>The most vectors a dense scope holds: past this, walking the graph with a filter is faster.</summary>
    private const int MaxDenseVectors = 32_768;

    private readonly Lock _lock = new();
    private readonly Dictionary<(long Directory, bool Subtree), Scope> _scopes = [];
    private long _clock;
    private long _keptBytes;

    /// <summary>The vectors a dense scope may hold in this space.</summary>
    public int DenseLimit { get; } = (int)Math.Min(MaxDenseVectors, MaxDenseBytes / (space.Dimension * sizeof(float)));

    /// <summary>The scope of <paramref name="directory"/>, as of <paramref name="version"/> of the catalog, built by <paramref name="build"/> when it is not kept.</summary>
    public Scope Get(long directory, bool subtree, long version, Func<Scope> build)
    {
        var key = (directory, subtree);
        lock (_lock)
        {
            if (_scopes.TryGetValue(key, out var kept))
            {
                if (kept.Version == version)
                {
                    kept.LastUse = ++_clock;
                    return kept;
                }

                Forget(key);
            }
        }

        var scope = build();
        if (scope.Bytes > MaxKeptBytes)
        {
            return scope;
        }

        lock (_lock)
        {
            if (_scopes.ContainsKey(key))
            {
                Forget(key);
            }

            while (_scopes.Count > 0 && (_scopes.Count >= MaxScopes || _keptBytes + scope.Bytes > MaxKeptBytes))
            {
                Forget(_scopes.MinBy(s => s.Value.LastUse).Key);
            }

            scope.LastUse = ++_clock;
            _scopes[key] = scope;
            _keptBytes += scope.Bytes;
        }

        return scope;
    }

    private void Forget((long, bool) key)
    {
        if (_scopes.Remove(key, out var scope))
        {
            _keptBytes -= scope.Bytes;
        }
    }

    /// <summary>
    /// A scope as of one version: how many vectors it holds, and either an exact index of them keyed by owner
    /// (a small scope) or the filter of their index keys.
    /// </summary>
    internal sealed class Scope(long version, int count, VectorFilter? keys, FlatIndex? dense)
    {
        public long Version { get; } = version;

        public int Count { get; } = count;

        /// <summary>The index keys of the scope's vectors, to filter a walk of the graph; null for a dense scope.</summary>
        public VectorFilter? Keys { get; } = keys;

        /// <summary>The scope's vectors, copied densely and keyed by owner; null for a scope too large to copy.</summary>
        public FlatIndex? Dense { get; } = dense;

        /// <summary>About the memory the scope holds.</summary>
        public long Bytes { get; } = (dense?.MemoryBytes ?? 0) + (count * 32L);

        public long LastUse { get; set; }
    }
}
