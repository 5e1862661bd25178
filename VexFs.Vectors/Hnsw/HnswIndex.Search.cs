using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Quantization;
using VexFs.Vectors.Search;

namespace VexFs.Vectors.Hnsw;

public sealed partial class HnswIndex
{
    // A filter that admits at most max(BruteForceMinimum, live / BruteForceDivisor) vectors is answered by
    // comparing the query with exactly those vectors: a graph walk would mostly visit rejected nodes.
    private const int BruteForceMinimum = 1000;
    private const int BruteForceDivisor = 20;
    private const int FilterSampleSize = 256;

    /// <inheritdoc />
    public VectorMatch[] Search(ReadOnlySpan<float> query, int k, VectorFilter? filter = null) =>
        Search(query, k, EfSearch, filter);

    /// <summary>
    /// The (at most) <paramref name="k"/> nearest vectors found with a candidate list of
    /// max(<paramref name="efSearch"/>, <paramref name="k"/>), nearest first, restricted to <paramref name="filter"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="efSearch"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The query is invalid.</exception>
    public VectorMatch[] Search(ReadOnlySpan<float> query, int k, int efSearch, VectorFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(efSearch, 1);
        var context = _contexts.Get();
        try
        {
            SearchCore(query, k, efSearch, filter, context);
            var results = new VectorMatch[context.Selection.Count];
            Emit(context, results);
            return results;
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    /// <summary>
    /// The (at most) <paramref name="k"/> nearest vectors by brute force: the query is compared with every stored
    /// vector <paramref name="filter"/> admits, so the answer is exact (the verification path).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The query is invalid.</exception>
    public VectorMatch[] SearchExact(ReadOnlySpan<float> query, int k, VectorFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var context = _contexts.Get();
        try
        {
            SearchCore(query, k, 0, filter, context, exact: true);
            var results = new VectorMatch[context.Selection.Count];
            Emit(context, results);
            return results;
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    /// <summary>
    /// Writes the (at most) <c>results.Length</c> nearest vectors into <paramref name="results"/>, nearest
    /// first, and returns how many were written. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="results"/> is empty or <paramref name="efSearch"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The query is invalid.</exception>
    public int Search(ReadOnlySpan<float> query, Span<VectorMatch> results, int efSearch, VectorFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, 1, nameof(results));
        ArgumentOutOfRangeException.ThrowIfLessThan(efSearch, 1);
        var context = _contexts.Get();
        try
        {
            SearchCore(query, results.Length, efSearch, filter, context);
            return Emit(context, results);
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    /// <summary>Leaves the admitted top-k, nearest first, in the context's selection list.</summary>
    private void SearchCore(ReadOnlySpan<float> query, int k, int efSearch, VectorFilter? filter, SearchContext context, bool exact = false)
    {
        Space.Prepare(query, context.Query, nameof(query));
        var top = context.TopK;
        if (exact)
        {
            AllAdmitted(filter, context);
        }

        if (exact || (filter is not null && PlanBruteForce(filter, context)))
        {
            if (!exact && Volatile.Read(ref _quantizer) is { } quantizer)
            {
                CompareCodes(context, k, quantizer);
            }
            else
            {
                foreach (var slot in context.Slots)
                {
                    top.PushBounded(ExactDistance(slot, context), slot, k);
                }
            }
        }
        else
        {
            GraphSearch(context, k, Math.Max(k, efSearch), filter);
        }

        var selection = context.Selection;
        selection.Clear();
        while (top.Count > 0)
        {
            var n = top.Pop();
            // A slot removed or reused while the search ran is dropped rather than reported under a wrong id.
            if (Volatile.Read(ref _states.At(n.Slot)) == LiveSlot && (filter is null || filter.Admits(_ids.At(n.Slot))))
            {
                selection.Add(n);
            }
        }

        selection.Reverse();
    }

    private int Emit(SearchContext context, Span<VectorMatch> results)
    {
        var selection = context.Selection;
        var n = Math.Min(selection.Count, results.Length);
        for (var i = 0; i < n; i++)
        {
            results[i] = new VectorMatch(_ids.At(selection[i].Slot), selection[i].Distance);
        }

        return n;
    }

    /// <summary>A quantized search re-ranks this many candidates per result asked for (all of them when it has fewer).</summary>
    private const int ReRankFactor = 3;

    private void GraphSearch(SearchContext context, int k, int ef, VectorFilter? filter)
    {
        var entry = Volatile.Read(ref _entry);
        if (entry == -1)
        {
            return;
        }

        var quantizer = Volatile.Read(ref _quantizer);
        if (quantizer is RotatedQuantizer rotated)
        {
            var bias = rotated.PrepareQuery(context.Query, context.QueryState);
            var coded = new RotatedQueryDistance(_codes, rotated, context.QueryState, bias);
            Walk(ref coded, context, entry, ef, filter);
            ReRankWithin(context, k, rotated);
        }
        else if (quantizer is ScalarQuantizer scalar)
        {
            var bias = scalar.PrepareQuery(context.Query, context.QueryState);
            var coded = new CodeQueryDistance(_codes, scalar, context.QueryState, bias);
            Walk(ref coded, context, entry, ef, filter);
            ReRank(context, k);
        }
        else
        {
            var exact = new FloatQueryDistance(_vectors, context.Query, Space.Metric);
            Walk(ref exact, context, entry, ef, filter);
            foreach (var n in context.Results.Items)
            {
                context.TopK.PushBounded(n.Distance, n.Slot, k);
            }
        }
    }

    /// <summary>
    /// Compares the query with the codes of the slots a filter admits, then re-ranks the ReRankFactor x k nearest
    /// by their floats, as the quantized walk re-ranks its candidates: a comparison of every admitted vector reads
    /// its code (a quarter of its floats, in memory even where the floats are on the device) rather than its floats.
    /// With the floats on the device, 10,000 admitted vectors of 1,024 dimensions were 10,000 reads a search.
    /// </summary>
    private void CompareCodes(SearchContext context, int k, IVectorCodec quantizer)
    {
        var bias = quantizer.PrepareQuery(context.Query, context.QueryState);
        var candidates = context.Results;
        candidates.Clear();
        if (quantizer is RotatedQuantizer rotated)
        {
            var coded = new RotatedQueryDistance(_codes, rotated, context.QueryState, bias);
            foreach (var slot in context.Slots)
            {
                candidates.PushBounded(coded.To(slot), slot, RotatedCandidatesPerResult * k);
            }

            ReRankWithin(context, k, rotated);
            return;
        }

        var scalar = (ScalarQuantizer)quantizer;
        var estimated = new CodeQueryDistance(_codes, scalar, context.QueryState, bias);
        foreach (var slot in context.Slots)
        {
            candidates.PushBounded(estimated.To(slot), slot, ReRankFactor * k);
        }

        ReRank(context, k);
    }

    /// <summary>
    /// A comparison of every admitted vector by its rotated code keeps this many candidates per result asked for,
    /// which <see cref="ReRankWithin"/> then narrows by their error bounds.
    /// </summary>
    private const int RotatedCandidatesPerResult = 10;

    /// <summary>
    /// Re-ranks with floats, nearest lower bound first, the candidates in the context's results whose
    /// estimate less its error bound is below the k-th exact distance found so far: the others lie farther with
    /// high probability and are not read. Each code's bound comes with it, so the number read adapts to the query.
    /// </summary>
    private void ReRankWithin(SearchContext context, int k, RotatedQuantizer quantizer)
    {
        var nearest = context.Selection;
        nearest.Clear();
        foreach (var n in context.Results.Items)
        {
            nearest.Add(new Neighbor(quantizer.LowerBound(context.QueryState, n.Distance, ref _codes.At(n.Slot)), n.Slot));
        }

        nearest.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Slot.CompareTo(b.Slot));
        var top = context.TopK;
        foreach (var n in nearest)
        {
            if (top.Count >= k && n.Distance > top.Top.Distance)
            {
                break;
            }

            top.PushBounded(ExactDistance(n.Slot, context), n.Slot, k);
        }
    }

    /// <summary>
    /// Re-ranks with floats the candidates in the context's results that the codes rank nearest, ReRankFactor x k
    /// of them (a read from outside memory each, where the floats lie there), into the top k. Past that many the
    /// codes' order holds: on the 100K x 128 and MiniLM 30K x 384 sets re-ranking 30 of 64 or 128 candidates for
    /// k = 10 gave the recall re-ranking them all did, to 0.0001.
    /// </summary>
    private void ReRank(SearchContext context, int k)
    {
        var nearest = context.Selection;
        nearest.Clear();
        nearest.AddRange(context.Results.Items);
        nearest.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Slot.CompareTo(b.Slot));
        var rerank = Math.Min(nearest.Count, ReRankFactor * k);
        for (var i = 0; i < rerank; i++)
        {
            context.TopK.PushBounded(ExactDistance(nearest[i].Slot, context), nearest[i].Slot, k);
        }
    }

    private void Walk<TDistance>(ref TDistance distance, SearchContext context, long entry, int ef, VectorFilter? filter)
        where TDistance : struct, IQueryDistance
    {
        var (current, level) = Unpack(entry);
        var currentDistance = distance.To(current);
        for (; level > 0; level--)
        {
            (current, currentDistance) = Greedy(ref distance, current, currentDistance, level);
        }

        SearchLayer(ref distance, context, current, currentDistance, ef, 0, filter, true);
    }

    /// <summary>Moves from <paramref name="current"/> to ever nearer neighbors on one layer until none is nearer.</summary>
    private (int Slot, float Distance) Greedy<TDistance>(ref TDistance distance, int current, float currentDistance, int level)
        where TDistance : struct, IQueryDistance
    {
        var changed = true;
        while (changed)
        {
            changed = false;
            var links = Links(current, level);
            if (links.IsEmpty)
            {
                break;
            }

            var count = Math.Min(Volatile.Read(ref links[0]), links.Length - 1);
            for (var i = 1; i <= count; i++)
            {
                var candidate = links[i];
                var d = distance.To(candidate);
                if (d < currentDistance)
                {
                    currentDistance = d;
                    current = candidate;
                    changed = true;
                }
            }
        }

        return (current, currentDistance);
    }

    /// <summary>
    /// Best-first search of one layer from <paramref name="entry"/>, keeping the <paramref name="ef"/> nearest
    /// acceptable nodes in the context's result heap. Rejected and removed nodes still route the search.
    /// </summary>
    /// <remarks>
    /// Never inlined: the JIT limits how much it inlines into one method, and inlined into its callers this loop
    /// left the distance, the visited check and the heap pushes as calls.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private unsafe void SearchLayer<TDistance>(
        ref TDistance distance, SearchContext context, int entry, float entryDistance, int ef, int level, VectorFilter? filter, bool liveOnly)
        where TDistance : struct, IQueryDistance
    {
        var visited = context.Visited;
        var candidates = context.Candidates;
        var results = context.Results;
        var pending = context.Unvisited;
        var storageBytes = distance.StorageBytes;
        var scratch = context.Links.AsSpan();
        var words = context.LinkWords.AsSpan();

        // A packed list lies apart from its node's code: start fetching it as the node joins the frontier.
        var packed = level == 0 ? _packed : null;
        visited.Reset(Volatile.Read(ref _slotCount));
        candidates.Clear();
        results.Clear();
        var restricted = filter is not null || (liveOnly && Volatile.Read(ref _deletedCount) > 0);

        visited.Visit(entry);
        candidates.Push(entryDistance, entry);
        var bound = float.MaxValue;
        if (!restricted || Accepts(entry, filter))
        {
            results.Push(entryDistance, entry);
            bound = entryDistance;
        }

        while (candidates.Count > 0)
        {
            var nearest = candidates.Top;
            if (nearest.Distance > bound && (results.Count >= ef || !restricted))
            {
                break;
            }

            candidates.Pop();
            var links = Neighbors(nearest.Slot, level, scratch, words);

            // Gather the unvisited neighbors and start fetching all their vectors at once: the first line into
            // L1, the rest into L2, so that the misses of all neighbors overlap instead of following one
            // another (asking for every line into L1 measured no faster than fetching one vector ahead).
            // While one distance is computed, the next vector moves from L2 into L1.
            var unvisited = 0;
            foreach (var neighbor in links)
            {
                if (visited.Visit(neighbor))
                {
                    pending[unvisited++] = neighbor;
                    if (Sse.IsSupported)
                    {
                        var start = (byte*)Unsafe.AsPointer(ref distance.Storage(neighbor));
                        Sse.Prefetch0(start);
                        CacheLines.Prefetch(CacheLines.First(start) + CacheLines.Size, start + storageBytes, toL1: false);
                    }
                }
            }

            for (var i = 0; i < unvisited; i++)
            {
                var neighbor = pending[i];
                if (i + 1 < unvisited && Sse.IsSupported)
                {
                    var start = (byte*)Unsafe.AsPointer(ref distance.Storage(pending[i + 1]));
                    CacheLines.Prefetch(CacheLines.First(start) + CacheLines.Size, start + storageBytes, toL1: true);
                }

                var d = distance.To(neighbor);
                if (results.Count < ef || d < bound)
                {
                    candidates.Push(d, neighbor);
                    packed?.Prefetch(LinkBlock(neighbor));
                    if (!restricted || Accepts(neighbor, filter))
                    {
                        results.PushBounded(d, neighbor, ef);
                        bound = results.Top.Distance;
                    }
                }
            }
        }
    }

    /// <summary>The exact distance from the prepared query to <paramref name="slot"/>, from memory or the device.</summary>
    private float ExactDistance(int slot, SearchContext context)
    {
        var dimension = Space.Dimension;
        if (_deviceVectors is not null || _reader is not null)
        {
            ReadOutside(slot, _ids.At(slot), context);
            return Distance.Compute(Space.Metric, ref context.Query[0], ref context.Vector[0], dimension);
        }

        return Distance.Compute(Space.Metric, ref context.Query[0], ref _vectors.At<float>(slot), dimension);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Accepts(int slot, VectorFilter? filter) =>
        Volatile.Read(ref _states.At(slot)) == LiveSlot && (filter is null || filter.Admits(_ids.At(slot)));

    /// <summary>
    /// Decides whether the filter admits few enough vectors to compare them all; if so, gathers their slots
    /// into the context.
    /// </summary>
    /// <summary>Leaves every live slot that <paramref name="filter"/> admits in the context's slot list.</summary>
    private void AllAdmitted(VectorFilter? filter, SearchContext context)
    {
        var slots = context.Slots;
        slots.Clear();
        if (filter?.AdmittedIds is { } ids)
        {
            lock (_mapLock)
            {
                foreach (var id in ids)
                {
                    if (_slotsById.TryGetValue(id, out var slot))
                    {
                        slots.Add(slot);
                    }
                }
            }

            return;
        }

        var slotCount = Volatile.Read(ref _slotCount);
        for (var s = 0; s < slotCount; s++)
        {
            if (Volatile.Read(ref _states.At(s)) == LiveSlot && (filter is null || filter.Admits(_ids.At(s))))
            {
                slots.Add(s);
            }
        }
    }

    private bool PlanBruteForce(VectorFilter filter, SearchContext context)
    {
        var live = Count;
        var limit = Math.Max(BruteForceMinimum, live / BruteForceDivisor);
        var slots = context.Slots;
        slots.Clear();
        if (filter.AdmittedIds is { } ids)
        {
            if (ids.Count > limit)
            {
                return false;
            }

            lock (_mapLock)
            {
                foreach (var id in ids)
                {
                    if (_slotsById.TryGetValue(id, out var slot))
                    {
                        slots.Add(slot);
                    }
                }
            }

            return true;
        }

        // The sample visits pseudo-random slots: a regular stride could alias with a regular filter (every
        // hundredth id, say) and misjudge its selectivity tenfold.
        var slotCount = Volatile.Read(ref _slotCount);
        int sampled = 0, admitted = 0;
        var position = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < FilterSampleSize && slotCount > 0; i++)
        {
            position ^= position << 13;
            position ^= position >> 7;
            position ^= position << 17;
            var s = (int)(position % (ulong)slotCount);
            if (Volatile.Read(ref _states.At(s)) == LiveSlot)
            {
                sampled++;
                admitted += filter.Admits(_ids.At(s)) ? 1 : 0;
            }
        }

        if (sampled > 0 && (long)admitted * live / sampled > limit)
        {
            return false;
        }

        for (var s = 0; s < slotCount; s++)
        {
            if (Accepts(s, filter))
            {
                slots.Add(s);
            }
        }

        return true;
    }
}
