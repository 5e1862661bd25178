using Microsoft.Extensions.ObjectPool;
using VexFs.Vectors.Search;

namespace VexFs.Vectors.Hnsw;

/// <summary>
/// The reusable state of one graph search: visited marks, the candidate frontier, the result heap and
/// scratch buffers. Rented from a pool so that a search allocates nothing but its result.
/// </summary>
internal sealed class SearchContext
{
    private byte[]? _pages;

    public SearchContext(int dimension, int queryStateLength, int maxLinks, int maxLinkWords)
    {
        Unvisited = new int[maxLinks];
        Links = new int[maxLinks];
        SecondLinks = new int[maxLinks];
        LinkWords = new uint[Math.Max(1, maxLinkWords)];
        Query = new float[dimension];
        Vector = new float[dimension];
        QueryState = new float[Math.Max(1, queryStateLength)];
    }

    public VisitedSet Visited { get; } = new();

    public NearestFirstQueue Candidates { get; } = new();

    public FarthestFirstQueue Results { get; } = new();

    /// <summary>The final top-k while re-ranking or brute-forcing.</summary>
    public FarthestFirstQueue TopK { get; } = new();

    /// <summary>The not yet visited neighbors of the node being expanded, gathered so that their vectors are fetched in parallel.</summary>
    public int[] Unvisited { get; }

    /// <summary>A node's links copied out of packed storage, or gathered to be written.</summary>
    public int[] Links { get; }

    /// <summary>A second node's links, read while the first one's are still in use.</summary>
    public int[] SecondLinks { get; }

    /// <summary>The words of a packed link list while it is copied out.</summary>
    public uint[] LinkWords { get; }

    /// <summary>The prepared (validated, normalized) query.</summary>
    public float[] Query { get; }

    /// <summary>A vector read from the device for re-ranking.</summary>
    public float[] Vector { get; }

    /// <summary>Per-query state of the vector codec.</summary>
    public float[] QueryState { get; set; }

    /// <summary>Neighbor candidates while choosing links.</summary>
    public List<Neighbor> Selection { get; } = [];

    /// <summary>Links chosen by the neighbor-selection heuristic.</summary>
    public List<Neighbor> Chosen { get; } = [];

    /// <summary>The links a new node's neighbors get back to it, with the layer of each, once its own lists are written.</summary>
    public List<(Neighbor Neighbor, int Level)> BackLinks { get; } = [];

    /// <summary>Candidates while pruning the full link list of an existing node.</summary>
    public List<Neighbor> PruneCandidates { get; } = [];

    /// <summary>Links kept while pruning the full link list of an existing node.</summary>
    public List<Neighbor> PruneChosen { get; } = [];

    /// <summary>Slots gathered for a brute-force plan.</summary>
    public List<int> Slots { get; } = [];

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes for device reads, kept for the next search.</summary>
    public byte[] PageBuffer(int bytes) => _pages is { } pages && pages.Length >= bytes ? pages : _pages = new byte[bytes];

    /// <summary>Creates and resets contexts for an object pool.</summary>
    internal sealed class Policy(int dimension, int queryStateLength, int maxLinks, int maxLinkWords) : PooledObjectPolicy<SearchContext>
    {
        public override SearchContext Create() => new(dimension, queryStateLength, maxLinks, maxLinkWords);

        public override bool Return(SearchContext context)
        {
            context.Candidates.Clear();
            context.Results.Clear();
            context.TopK.Clear();
            context.Selection.Clear();
            context.Chosen.Clear();
            context.BackLinks.Clear();
            context.PruneCandidates.Clear();
            context.PruneChosen.Clear();
            context.Slots.Clear();
            return true;
        }
    }
}
