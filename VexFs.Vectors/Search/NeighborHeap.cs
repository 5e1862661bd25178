using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Search;

/// <summary>Which of two distances a heap keeps nearer its top.</summary>
internal interface IHeapOrder
{
    /// <summary>Whether <paramref name="distance"/> belongs above <paramref name="other"/>.</summary>
    static abstract bool Above(float distance, float other);
}

/// <summary>The nearest neighbor on top.</summary>
internal readonly struct NearestOnTop : IHeapOrder
{
    public static bool Above(float distance, float other) => distance < other;
}

/// <summary>The farthest neighbor on top.</summary>
internal readonly struct FarthestOnTop : IHeapOrder
{
    public static bool Above(float distance, float other) => distance > other;
}

/// <summary>
/// A binary heap of neighbors ordered by <typeparamref name="TOrder"/>; the JIT compiles one copy per order,
/// so the comparison costs what a written-out one would.
/// </summary>
internal class NeighborHeap<TOrder>
    where TOrder : struct, IHeapOrder
{
    private Neighbor[] _items = new Neighbor[64];
    private int _count;

    /// <summary>The number of queued neighbors.</summary>
    public int Count => _count;

    /// <summary>The neighbor on top. The heap must not be empty.</summary>
    public Neighbor Top => _items[0];

    /// <summary>The queued neighbors in heap order.</summary>
    public ReadOnlySpan<Neighbor> Items => _items.AsSpan(0, _count);

    /// <summary>Empties the heap, keeping its storage.</summary>
    public void Clear() => _count = 0;

    /// <summary>Queues a neighbor.</summary>
    public void Push(float distance, int slot)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var items = _items;
        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!TOrder.Above(distance, items[parent].Distance))
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = new Neighbor(distance, slot);
    }

    /// <summary>Removes and returns the neighbor on top. The heap must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Neighbor Pop()
    {
        var top = _items[0];
        var last = _items[--_count];
        if (_count > 0)
        {
            SiftDown(last);
        }

        return top;
    }

    /// <summary>Puts <paramref name="item"/> on top in place of the current top and restores the order.</summary>
    protected void ReplaceTop(Neighbor item) => SiftDown(item);

    private void SiftDown(Neighbor item)
    {
        var items = _items;
        var n = _count;
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && TOrder.Above(items[child + 1].Distance, items[child].Distance))
            {
                child++;
            }

            if (!TOrder.Above(items[child].Distance, item.Distance))
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        items[i] = item;
    }
}

/// <summary>The candidate frontier of a graph search, nearest on top.</summary>
internal sealed class NearestFirstQueue : NeighborHeap<NearestOnTop>;

/// <summary>
/// The best results found so far, farthest on top so that it is the one evicted when a nearer neighbor
/// arrives.
/// </summary>
internal sealed class FarthestFirstQueue : NeighborHeap<FarthestOnTop>
{
    /// <summary>
    /// Queues, bounded at <paramref name="capacity"/>, each of <paramref name="distances"/> (of consecutive slots
    /// from <paramref name="firstSlot"/>) that is below the farthest queued, comparing eight at a time; with a
    /// filter, only slots whose id in <paramref name="ids"/> it admits, asked only of a distance that would enter.
    /// </summary>
    public void PushBelowFarthest(ReadOnlySpan<float> distances, int firstSlot, int capacity, VectorFilter? filter = null, SlotArray<long>? ids = null)
    {
        var farthest = Count < capacity ? float.PositiveInfinity : Top.Distance;
        ref var distance = ref MemoryMarshal.GetReference(distances);
        for (var i = 0; i < distances.Length; i += Vector256<float>.Count)
        {
            var below = i + Vector256<float>.Count <= distances.Length
                ? Vector256.LessThan(Vector256.LoadUnsafe(ref distance, (nuint)i), Vector256.Create(farthest)).ExtractMostSignificantBits()
                : (1u << (distances.Length - i)) - 1;
            while (below != 0)
            {
                var row = i + BitOperations.TrailingZeroCount(below);
                below &= below - 1;
                if (distances[row] < farthest && (filter is null || filter.Admits(ids!.At(firstSlot + row))))
                {
                    PushBounded(distances[row], firstSlot + row, capacity);
                    farthest = Count < capacity ? float.PositiveInfinity : Top.Distance;
                }
            }
        }
    }

    /// <summary>Queues a neighbor, then evicts the farthest while more than <paramref name="capacity"/> are queued.</summary>
    public void PushBounded(float distance, int slot, int capacity)
    {
        if (Count < capacity)
        {
            Push(distance, slot);
        }
        else if (distance < Top.Distance)
        {
            ReplaceTop(new Neighbor(distance, slot));
        }
    }
}
