using VexFs.Vectors;
using VexFs.Vectors.Flat;

namespace VexFs.Core.Vectors;

/// <summary>
/// The search scopes of one space (a directory, alone or with its subtree) kept between searches, until the
/// namespace or the space's vectors change. A small scope holds a dense copy of its vectors, which a search
/// compares with the query one by one, exactly; a large one holds the set of its index keys, which filters a
/// walk of the graph.
/// </summary>
/// <remarks>Safe for concurrent searches: a scope, once built, never changes; a stale one is replaced.</remarks>
internal sealed class ScopeCache(VectorSpace space)
{
    /// <summary>The most scopes kept; the least recently used goes first.</summary>
    private const int MaxScopes = 32;

    /// <summary>The most vector bytes one dense scope copies.</summary>
    private const long MaxDenseBytes = 32L << 20;

    /// <summary>The most vectors a dense scope holds: past this, walking the graph with a filter is faster.</summary>
    private const int MaxDenseVectors = 32_768;

    private readonly Lock _lock = new();
    private readonly Dictionary<(long Directory, bool Subtree), Scope> _scopes = [];
    private long _clock;

    /// <summary>The vectors a dense scope may hold in this space.</summary>
    public int DenseLimit { get; } = (int)Math.Min(MaxDenseVectors, MaxDenseBytes / (space.Dimension * sizeof(float)));

    /// <summary>The scope of <paramref name="directory"/>, as of <paramref name="version"/> of the catalog, built by <paramref name="build"/> when it is not kept.</summary>
    public Scope Get(long directory, bool subtree, long version, Func<Scope> build)
    {
        var key = (directory, subtree);
        lock (_lock)
        {
            if (_scopes.TryGetValue(key, out var kept) && kept.Version == version)
            {
                kept.LastUse = ++_clock;
                return kept;
            }
        }

        var scope = build();
        lock (_lock)
        {
            if (_scopes.Count >= MaxScopes && !_scopes.ContainsKey(key))
            {
                _scopes.Remove(_scopes.MinBy(s => s.Value.LastUse).Key);
            }

            scope.LastUse = ++_clock;
            _scopes[key] = scope;
        }

        return scope;
    }

    /// <summary>
    /// A scope as of one version: its owners and index keys, and for a small scope an exact index of its
    /// vectors keyed by owner.
    /// </summary>
    internal sealed class Scope(long version, long[] owners, HashSet<long> keys, FlatIndex? dense)
    {
        public long Version { get; } = version;

        public long[] Owners { get; } = owners;

        /// <summary>The index keys of the scope's vectors, to filter a walk of the graph.</summary>
        public VectorFilter Keys { get; } = VectorFilter.In(keys);

        /// <summary>The scope's vectors, copied densely and keyed by owner; null for a scope too large to copy.</summary>
        public FlatIndex? Dense { get; } = dense;

        public long LastUse { get; set; }
    }
}
