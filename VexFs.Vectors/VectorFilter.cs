using VexFs.Vectors.Storage;

namespace VexFs.Vectors;

/// <summary>
/// Restricts a search to the vectors whose ids it admits. An index never returns an id the filter rejects.
/// </summary>
/// <remarks>
/// A filter that can list the ids it admits (<see cref="AdmittedIds"/>) lets the index compare the query
/// with exactly those vectors when they are few, instead of walking the graph past rejected ones.
/// </remarks>
public abstract class VectorFilter
{
    /// <summary>Whether results may include the vector stored under <paramref name="id"/>.</summary>
    public abstract bool Admits(long id);

    /// <summary>The ids this filter admits, when it knows them; otherwise <see langword="null"/>.</summary>
    public virtual IReadOnlyCollection<long>? AdmittedIds => null;

    /// <summary>A filter that admits the ids for which <paramref name="predicate"/> returns true.</summary>
    /// <remarks>
    /// The index cannot list the ids a predicate admits without asking it about every stored vector, so a
    /// selective predicate costs one call per stored vector (or a graph walk through mostly rejected nodes)
    /// and is slower than an unfiltered search. When the admitted ids can be listed, as a directory subtree's
    /// can, use <see cref="In"/>: a few admitted vectors are then compared directly.
    /// </remarks>
    public static VectorFilter Where(Func<long, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new PredicateFilter(predicate);
    }

    /// <summary>A filter that admits exactly <paramref name="ids"/>: the recommended form for selective filters.</summary>
    public static VectorFilter In(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return new SetFilter(new HashSet<long>(ids, IdComparer.Instance));
    }

    private sealed class PredicateFilter(Func<long, bool> predicate) : VectorFilter
    {
        public override bool Admits(long id) => predicate(id);
    }

    private sealed class SetFilter(HashSet<long> ids) : VectorFilter
    {
        public override IReadOnlyCollection<long> AdmittedIds => ids;

        public override bool Admits(long id) => ids.Contains(id);
    }
}
