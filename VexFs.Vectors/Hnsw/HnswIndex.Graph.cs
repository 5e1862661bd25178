using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Quantization;
using VexFs.Vectors.Search;

namespace VexFs.Vectors.Hnsw;

public sealed partial class HnswIndex
{
    /// <summary>
    /// The link list of <paramref name="slot"/> on <paramref name="level"/> where it lies in a row (upper layers,
    /// and the bottom layer of an index without codes): element 0 is the count, the neighbors follow. Empty when
    /// the node has no such level (a slot reused by a concurrent insert).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<int> Links(int slot, int level)
    {
        Debug.Assert(level > 0 || _packed is null, "Packed bottom-layer links are read with Neighbors.");
        if (level == 0)
        {
            return MemoryMarshal.CreateSpan(ref _nodes.At(slot), _m0 + 1);
        }

        var upper = _upperLinks.At(slot);
        var start = (level - 1) * (_m + 1);
        return upper is not null && start + _m + 1 <= upper.Length ? upper.AsSpan(start, _m + 1) : [];
    }

    private int MaxLinks(int level) => level == 0 ? _m0 : _m;

    /// <summary>
    /// The neighbors of <paramref name="slot"/> on <paramref name="level"/>: a view of its row, or a packed
    /// bottom-layer list copied into <paramref name="scratch"/> through <paramref name="words"/>. Empty when the
    /// node has no such level.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<int> Neighbors(int slot, int level, Span<int> scratch, Span<uint> words)
    {
        if (level == 0 && _packed is { } packed)
        {
            return scratch[..packed.Read(ref LinkBlock(slot), scratch, words)];
        }

        var links = Links(slot, level);
        return links.IsEmpty ? [] : links.Slice(1, Math.Min(Volatile.Read(ref links[0]), links.Length - 1));
    }

    /// <summary>Replaces the links of <paramref name="slot"/> on <paramref name="level"/>, under its node lock; nothing when it has no such level.</summary>
    private void SetNeighbors(int slot, int level, ReadOnlySpan<int> neighbors)
    {
        if (level == 0 && _packed is { } packed)
        {
            packed.Write(ref LinkBlock(slot), neighbors);
            return;
        }

        var links = Links(slot, level);
        if (!links.IsEmpty)
        {
            neighbors.CopyTo(links[1..]);
            Volatile.Write(ref links[0], neighbors.Length);
        }
    }

    /// <summary>Replaces the links of <paramref name="slot"/> on <paramref name="level"/> with <paramref name="chosen"/>, gathered in <paramref name="scratch"/>.</summary>
    private void SetNeighbors(int slot, int level, List<Neighbor> chosen, int[] scratch)
    {
        for (var i = 0; i < chosen.Count; i++)
        {
            scratch[i] = chosen[i].Slot;
        }

        SetNeighbors(slot, level, scratch.AsSpan(0, chosen.Count));
    }

    /// <summary>The number of the packed link block of <paramref name="slot"/>, first in its row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint LinkBlock(int slot) => ref Unsafe.As<int, uint>(ref _nodes.At(slot));

    /// <summary>Drops the bottom-layer links of <paramref name="slot"/>, freed or about to be reused.</summary>
    private void ClearBottomLinks(int slot)
    {
        if (_packed is { } packed)
        {
            packed.Clear(ref LinkBlock(slot));
        }
        else
        {
            _nodes.At(slot) = 0;
        }
    }

    /// <summary>
    /// Prepares distances from <paramref name="a"/> to other nodes (<see cref="From"/>): nothing with the floats in
    /// memory; without them, <paramref name="a"/>'s code prepared as a query (once, for all the nodes it is
    /// compared with: for rotated codes that is a decode and a rotation's worth of work).
    /// </summary>
    private (float[]? State, float Bias) PrepareFrom(int a)
    {
        var quantizer = Volatile.Read(ref _quantizer);
        if (!BuildsFromCodes(quantizer))
        {
            return (null, 0f);
        }

        var state = _codeScratch is { } kept && kept.Length >= quantizer.QueryStateLength ? kept : _codeScratch = new float[quantizer.QueryStateLength];
        return (state, quantizer.PrepareCode(Code(a), state));
    }

    /// <summary>
    /// Whether nodes are placed by distances estimated from <paramref name="quantizer"/>'s codes rather than the floats:
    /// always when the owner keeps the floats, and with int8 codes when the floats are in memory too. At 960
    /// dimensions a byte a component moves a quarter of the memory a float does for each of the build's distances.
    /// </summary>
    private bool BuildsFromCodes([NotNullWhen(true)] IVectorCodec? quantizer) =>
        quantizer is not null && (_reader is not null || quantizer is ScalarQuantizer);

    /// <summary>The distance from <paramref name="a"/>, prepared by <see cref="PrepareFrom"/>, to <paramref name="b"/>.</summary>
    private float From(int a, (float[]? State, float Bias) prepared, int b) =>
        prepared.State is { } state
            ? _quantizer!.Distance(state, prepared.Bias, ref _codes.At(b))
            : Distance.Compute(Space.Metric, ref _vectors.At<float>(a), ref _vectors.At<float>(b), Space.Dimension);

    // Per thread: a code prepared as a query, for distances between two coded nodes.
    [ThreadStatic]
    private static float[]? _codeScratch;

    private Lock NodeLock(int slot) => _nodeLocks[slot & (NodeLockCount - 1)];

    /// <summary>Connects the freshly stored node <paramref name="slot"/> into every layer up to <paramref name="level"/>.</summary>
    /// <remarks>
    /// The node writes its own link list on every layer before any neighbor links back to it, that is before
    /// a concurrent insert can reach it. Were it linked back layer by layer, an insert could reach it on an
    /// upper layer and descend through it into a layer where its own list is still empty; that insert would
    /// link to it alone there, and writing the node's list would then drop the insert's back-link and cut it off.
    /// </remarks>
    private void Link(int slot, int level, SearchContext context)
    {
        var entry = Volatile.Read(ref _entry);
        if (entry == -1)
        {
            lock (_entryLock)
            {
                entry = _entry;
                if (entry == -1)
                {
                    Volatile.Write(ref _entry, Pack(slot, level));
                    return;
                }
            }
        }

        var quantizer = Volatile.Read(ref _quantizer);
        if (!BuildsFromCodes(quantizer))
        {
            var exact = new FloatQueryDistance(_vectors, context.Query, Space.Metric);
            Link(ref exact, slot, level, entry, context);
        }
        else
        {
            // The node is placed by distances estimated from the codes.
            var bias = quantizer.PrepareQuery(context.Query, context.QueryState);
            if (quantizer is RotatedQuantizer rotated)
            {
                var coded = new RotatedQueryDistance(_codes, rotated, context.QueryState, bias);
                Link(ref coded, slot, level, entry, context);
            }
            else
            {
                var coded = new CodeQueryDistance(_codes, (ScalarQuantizer)quantizer, context.QueryState, bias);
                Link(ref coded, slot, level, entry, context);
            }
        }
    }

    private void Link<TDistance>(ref TDistance distance, int slot, int level, long entry, SearchContext context)
        where TDistance : struct, IQueryDistance
    {
        var (current, top) = Unpack(entry);
        var backLinks = context.BackLinks;
        backLinks.Clear();
        var currentDistance = distance.To(current);
        for (var l = top; l > level; l--)
        {
            (current, currentDistance) = Greedy(ref distance, current, currentDistance, l);
        }

        for (var l = Math.Min(level, top); l >= 0; l--)
        {
            SearchLayer(ref distance, context, current, currentDistance, Options.EfConstruction, l, null, false);
            var candidates = context.Selection;
            candidates.Clear();
            while (context.Results.Count > 0)
            {
                var n = context.Results.Pop();
                if (n.Slot != slot)
                {
                    candidates.Add(n);
                }
            }

            candidates.Reverse();
            if (candidates.Count == 0)
            {
                continue;
            }

            current = candidates[0].Slot;
            currentDistance = candidates[0].Distance;
            SelectNeighbors(candidates, _m, context.Chosen);
            var chosen = context.Chosen;
            lock (NodeLock(slot))
            {
                SetNeighbors(slot, l, chosen, context.Links);
            }

            foreach (var neighbor in chosen)
            {
                backLinks.Add((neighbor, l));
            }
        }

        foreach (var (neighbor, l) in backLinks)
        {
            AddLink(neighbor.Slot, slot, neighbor.Distance, l, context);
        }

        if (level > top)
        {
            lock (_entryLock)
            {
                if (level > Unpack(_entry).Level)
                {
                    Volatile.Write(ref _entry, Pack(slot, level));
                }
            }
        }
    }

    /// <summary>Adds a link from <paramref name="from"/> to <paramref name="to"/>, pruning with the heuristic when full.</summary>
    private void AddLink(int from, int to, float distance, int level, SearchContext context)
    {
        lock (NodeLock(from))
        {
            // A node without this level (its slot reused meanwhile) reads as no links, and SetNeighbors leaves it be.
            var links = Neighbors(from, level, context.Links, context.LinkWords);
            if (links.Contains(to))
            {
                return;
            }

            var count = links.Length;
            var max = MaxLinks(level);
            if (count < max)
            {
                var grown = context.SecondLinks;
                links.CopyTo(grown);
                grown[count] = to;
                SetNeighbors(from, level, grown.AsSpan(0, count + 1));
                return;
            }

            var candidates = context.PruneCandidates;
            candidates.Clear();
            candidates.Add(new Neighbor(distance, to));
            var prepared = PrepareFrom(from);
            foreach (var neighbor in links)
            {
                candidates.Add(new Neighbor(From(from, prepared, neighbor), neighbor));
            }

            candidates.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
            SelectNeighbors(candidates, max, context.PruneChosen);
            SetNeighbors(from, level, context.PruneChosen, context.SecondLinks);
        }
    }

    /// <summary>
    /// The neighbor-selection heuristic: walking candidates nearest first, keep one only if it is nearer to
    /// the base node than to every neighbor already kept, so that links spread in different directions.
    /// </summary>
    private void SelectNeighbors(List<Neighbor> nearestFirst, int max, List<Neighbor> chosen)
    {
        chosen.Clear();
        if (nearestFirst.Count <= max)
        {
            chosen.AddRange(nearestFirst);
            return;
        }

        foreach (var candidate in nearestFirst)
        {
            var keep = true;
            var prepared = chosen.Count > 0 ? PrepareFrom(candidate.Slot) : default;
            foreach (var kept in chosen)
            {
                if (From(candidate.Slot, prepared, kept.Slot) < candidate.Distance)
                {
                    keep = false;
                    break;
                }
            }

            if (keep)
            {
                chosen.Add(candidate);
                if (chosen.Count == max)
                {
                    break;
                }
            }
        }
    }

    private static long Pack(int slot, int level) => ((long)level << 32) | (uint)slot;

    private static (int Slot, int Level) Unpack(long entry) => ((int)(entry & 0xFFFF_FFFF), (int)(entry >> 32));
}
