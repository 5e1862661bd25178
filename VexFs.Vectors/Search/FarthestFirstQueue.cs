namespace VexFs.Vectors.Search;

/// <summary>
/// A binary max-heap of neighbors: the best results found so far, farthest on top so that it is the one
/// evicted when a nearer neighbor arrives.
/// </summary>
internal sealed class FarthestFirstQueue
{
    private Neighbor[] _items = new Neighbor[64];
    private int _count;

    /// <summary>The number of queued neighbors.</summary>
    public int Count => _count;

    /// <summary>The farthest queued neighbor. The queue must not be empty.</summary>
    public Neighbor Top => _items[0];

    /// <summary>The queued neighbors in heap order.</summary>
    public ReadOnlySpan<Neighbor> Items => _items.AsSpan(0, _count);

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
            if (items[parent].Distance >= distance)
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = new Neighbor(distance, slot);
    }

    /// <summary>Queues a neighbor, then evicts the farthest while more than <paramref name="capacity"/> are queued.</summary>
    public void PushBounded(float distance, int slot, int capacity)
    {
        if (_count < capacity)
        {
            Push(distance, slot);
        }
        else if (distance < _items[0].Distance)
        {
            _items[0] = new Neighbor(distance, slot);
            SiftDown(0);
        }
    }

    /// <summary>Removes and returns the farthest neighbor. The queue must not be empty.</summary>
    public Neighbor Pop()
    {
        var top = _items[0];
        _items[0] = _items[--_count];
        if (_count > 0)
        {
            SiftDown(0);
        }

        return top;
    }

    private void SiftDown(int i)
    {
        var items = _items;
        var n = _count;
        var item = items[i];
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && items[child + 1].Distance > items[child].Distance)
            {
                child++;
            }

            if (item.Distance >= items[child].Distance)
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        items[i] = item;
    }
}
