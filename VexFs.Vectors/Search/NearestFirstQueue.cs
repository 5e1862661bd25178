using System.Runtime.CompilerServices;

namespace VexFs.Vectors.Search;

/// <summary>A binary min-heap of neighbors: the candidate frontier of a graph search, nearest on top.</summary>
internal sealed class NearestFirstQueue
{
    private Neighbor[] _items = new Neighbor[64];
    private int _count;

    /// <summary>The number of queued neighbors.</summary>
    public int Count => _count;

    /// <summary>The nearest queued neighbor. The queue must not be empty.</summary>
    public Neighbor Top => _items[0];

    /// <summary>Empties the queue, keeping its storage.</summary>
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
            if (items[parent].Distance <= distance)
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = new Neighbor(distance, slot);
    }

    /// <summary>Removes and returns the nearest neighbor. The queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Neighbor Pop()
    {
        var items = _items;
        var top = items[0];
        var last = items[--_count];
        var n = _count;
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && items[child + 1].Distance < items[child].Distance)
            {
                child++;
            }

            if (last.Distance <= items[child].Distance)
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        if (n > 0)
        {
            items[i] = last;
        }

        return top;
    }
}
