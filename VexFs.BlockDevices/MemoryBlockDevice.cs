namespace VexFs.BlockDevices;

/// <summary>
/// A device held in memory, for tests and for building images: sparse (only written chunks take memory),
/// either fixed in length or growing as it is written, with cheap copy-on-write snapshots.
/// </summary>
/// <remarks>Discarded ranges read as zeros. Flush does nothing: memory has no volatile cache to drain.</remarks>
public sealed class MemoryBlockDevice : BlockDevice
{
    /// <summary>The unit of allocation; a multiple of every valid sector size.</summary>
    internal const int ChunkSize = 64 * 1024;

    private readonly Dictionary<long, Chunk> _chunks;
    private readonly int _sectorSize;
    private readonly long _capacity;
    private readonly bool _readOnly;
    private readonly bool _growable;
    private long _length;

    /// <summary>Creates a zero-filled device of a fixed <paramref name="length"/>.</summary>
    public MemoryBlockDevice(long length, int sectorSize = 512)
        : this(SectorSizes.ValidateLength(length, SectorSizes.Validate(sectorSize, nameof(sectorSize)), nameof(length)), length, sectorSize, readOnly: false, new Dictionary<long, Chunk>())
    {
    }

    private MemoryBlockDevice(long length, long capacity, int sectorSize, bool readOnly, Dictionary<long, Chunk> chunks, bool growable = false)
    {
        _growable = growable;
        _length = length;
        _capacity = capacity;
        _sectorSize = sectorSize;
        _readOnly = readOnly;
        _chunks = chunks;
    }

    /// <summary>
    /// Creates an empty device that grows as it is written, up to <paramref name="maxLength"/> bytes.
    /// </summary>
    public static MemoryBlockDevice CreateGrowable(long maxLength, int sectorSize = 512)
    {
        SectorSizes.Validate(sectorSize, nameof(sectorSize));
        SectorSizes.ValidateLength(maxLength, sectorSize, nameof(maxLength));
        return new MemoryBlockDevice(0, maxLength, sectorSize, readOnly: false, new Dictionary<long, Chunk>(), growable: true);
    }

    /// <inheritdoc />
    public override int SectorSize => _sectorSize;

    /// <inheritdoc />
    public override long Length => Volatile.Read(ref _length);

    /// <inheritdoc />
    public override bool IsReadOnly => _readOnly;

    /// <summary>Whether writes past <see cref="Length"/> extend the device.</summary>
    public bool IsGrowable => _growable;

    /// <summary>The largest length the device can reach.</summary>
    public long Capacity => _capacity;

    /// <summary>The bytes of memory that hold data, a measure of sparseness.</summary>
    public long AllocatedBytes
    {
        get
        {
            lock (_chunks)
            {
                return (long)_chunks.Count * ChunkSize;
            }
        }
    }

    /// <inheritdoc />
    public override string Description => $"memory device ({Length} bytes)";

    /// <inheritdoc />
    protected override long WritableLength => _growable ? _capacity : Length;

    /// <summary>
    /// Returns an independent copy of the current contents. The copy shares memory with this device until
    /// either is written (copy-on-write), so a snapshot costs little.
    /// </summary>
    public MemoryBlockDevice Snapshot(bool readOnly = false)
    {
        ThrowIfDisposed();
        lock (_chunks)
        {
            foreach (var chunk in _chunks.Values)
            {
                chunk.Shared = true;
            }

            bool growable = _growable && !readOnly;
            return new MemoryBlockDevice(_length, growable ? _capacity : _length, _sectorSize, readOnly, new Dictionary<long, Chunk>(_chunks), growable);
        }
    }

    /// <summary>Whether this device holds the same length and bytes as <paramref name="other"/>.</summary>
    public bool ContentEquals(BlockDevice other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Length != Length)
        {
            return false;
        }

        byte[] mine = new byte[ChunkSize];
        byte[] theirs = new byte[ChunkSize];
        for (long offset = 0; offset < Length; offset += ChunkSize)
        {
            int count = (int)Math.Min(ChunkSize, Length - offset);
            if (other is MemoryBlockDevice memory && !HasChunk(offset) && !memory.HasChunk(offset))
            {
                continue;
            }

            Read(offset, mine.AsSpan(0, count));
            other.Read(offset, theirs.AsSpan(0, count));
            if (!mine.AsSpan(0, count).SequenceEqual(theirs.AsSpan(0, count)))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer)
    {
        lock (_chunks)
        {
            while (!buffer.IsEmpty)
            {
                long index = offset / ChunkSize;
                int within = (int)(offset % ChunkSize);
                int count = Math.Min(buffer.Length, ChunkSize - within);
                if (_chunks.TryGetValue(index, out var chunk))
                {
                    chunk.Data.AsSpan(within, count).CopyTo(buffer);
                }
                else
                {
                    buffer[..count].Clear();
                }

                buffer = buffer[count..];
                offset += count;
            }
        }
    }

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
    {
        lock (_chunks)
        {
            long end = offset + buffer.Length;
            while (!buffer.IsEmpty)
            {
                long index = offset / ChunkSize;
                int within = (int)(offset % ChunkSize);
                int count = Math.Min(buffer.Length, ChunkSize - within);
                buffer[..count].CopyTo(WritableChunk(index).AsSpan(within, count));
                buffer = buffer[count..];
                offset += count;
            }

            if (end > _length)
            {
                Volatile.Write(ref _length, end);
            }
        }
    }

    /// <inheritdoc />
    protected override void FlushCore()
    {
    }

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        lock (_chunks)
        {
            long end = Math.Min(offset + length, _length);
            while (offset < end)
            {
                long index = offset / ChunkSize;
                int within = (int)(offset % ChunkSize);
                int count = (int)Math.Min(end - offset, ChunkSize - within);
                if (count == ChunkSize)
                {
                    _chunks.Remove(index);
                }
                else if (_chunks.ContainsKey(index))
                {
                    WritableChunk(index).AsSpan(within, count).Clear();
                }

                offset += count;
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        lock (_chunks)
        {
            _chunks.Clear();
        }

        base.Dispose(disposing);
    }

    private bool HasChunk(long offset)
    {
        lock (_chunks)
        {
            return _chunks.ContainsKey(offset / ChunkSize);
        }
    }

    private byte[] WritableChunk(long index)
    {
        if (!_chunks.TryGetValue(index, out var chunk))
        {
            chunk = new Chunk(new byte[ChunkSize]);
            _chunks.Add(index, chunk);
        }
        else if (chunk.Shared)
        {
            chunk = new Chunk((byte[])chunk.Data.Clone());
            _chunks[index] = chunk;
        }

        return chunk.Data;
    }

    /// <summary>A chunk of memory; shared chunks belong to several snapshots and are copied before a write.</summary>
    private sealed class Chunk(byte[] data)
    {
        public byte[] Data { get; } = data;

        public bool Shared { get; set; }
    }
}
