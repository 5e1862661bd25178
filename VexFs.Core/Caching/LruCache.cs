namespace VexFs.Core.Caching;

/// <summary>
/// A bounded map that forgets its least recently used entry when full. Thread-safe; every call takes one short
/// lock. <see cref="Set(TKey, TValue, out TValue)"/> hands back what it displaced or evicted.
/// </summary>
internal sealed class LruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map;
    private readonly LinkedList<(TKey Key, TValue Value)> _recency = new();

    public LruCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _map = new Dictionary<TKey, LinkedListNode<(TKey, TValue)>>(Math.Min(capacity, 1 << 16));
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_lock)
        {
            if (!_map.TryGetValue(key, out var node))
            {
                value = default!;
                return false;
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            value = node.Value.Value;
            return true;
        }
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>; returns the value it displaced or evicted, if any.</summary>
    public bool Set(TKey key, TValue value, out TValue displaced)
    {
        displaced = default!;
        if (Capacity == 0)
        {
            return false;
        }

        lock (_lock)
        {
            bool had = false;
            if (_map.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                displaced = node.Value.Value;
                had = true;
            }
            else if (_map.Count >= Capacity)
            {
                node = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(node.Value.Key);
                displaced = node.Value.Value;
                had = true;
            }
            else
            {
                node = new LinkedListNode<(TKey, TValue)>(default);
            }

            node.Value = (key, value);
            _map[key] = node;
            _recency.AddFirst(node);
            return had;
        }
    }

    public void Set(TKey key, TValue value) => Set(key, value, out _);

    public bool Remove(TKey key)
    {
        lock (_lock)
        {
            if (!_map.Remove(key, out var node))
            {
                return false;
            }

            _recency.Remove(node);
            return true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _map.Clear();
            _recency.Clear();
        }
    }
}
