namespace VexFs.Core.Storage;

/// <summary>
/// A bounded least-recently-used cache of metadata blocks as the device holds them. Thread-safe. The buffer
/// of an evicted block is reused for the next one, so that a warm cache allocates nothing.
/// </summary>
internal sealed class BlockCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, LinkedListNode<Entry>> _map = [];
    private readonly LinkedList<Entry> _recency = new();
    private readonly int _capacity;
    private long _hits;
    private long _misses;

    /// <summary>Creates a cache of at most <paramref name="capacityBytes"/> of <paramref name="blockSize"/>-byte blocks.</summary>
    public BlockCache(long capacityBytes, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        BlockSize = blockSize;
        _capacity = (int)Math.Min(int.MaxValue, capacityBytes / blockSize);
    }

    public int BlockSize { get; }

    /// <summary>Reads this cache answered.</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>Reads it could not answer (the block came from the journal or the device).</summary>
    public long Misses => Volatile.Read(ref _misses);

    /// <summary>Blocks held now.</summary>
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

    /// <summary>Copies the cached block into <paramref name="buffer"/>; false when it is not cached.</summary>
    public bool TryRead(long block, Span<byte> buffer)
    {
        lock (_lock)
        {
            if (!_map.TryGetValue(block, out var node))
            {
                _misses++;
                return false;
            }

            _hits++;
            _recency.Remove(node);
            _recency.AddFirst(node);
            node.Value.Data.CopyTo(buffer);
            return true;
        }
    }

    public bool Contains(long block)
    {
        lock (_lock)
        {
            return _map.ContainsKey(block);
        }
    }

    /// <summary>Stores the current contents of <paramref name="block"/>.</summary>
    public void Put(long block, ReadOnlySpan<byte> data)
    {
        if (_capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.TryGetValue(block, out var node))
            {
                _recency.Remove(node);
            }
            else if (_map.Count < _capacity)
            {
                node = new LinkedListNode<Entry>(new Entry(block, new byte[BlockSize]));
                _map[block] = node;
            }
            else
            {
                node = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(node.Value.Block);
                node.Value = node.Value with { Block = block };
                _map[block] = node;
            }

            data[..BlockSize].CopyTo(node.Value.Data);
            _recency.AddFirst(node);
        }
    }

    /// <summary>Forgets <paramref name="block"/>.</summary>
    public void Remove(long block)
    {
        lock (_lock)
        {
            if (_map.Remove(block, out var node))
            {
                _recency.Remove(node);
            }
        }
    }

    private readonly record struct Entry(long Block, byte[] Data);
}
