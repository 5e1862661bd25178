namespace VexFs.BlockDevices.CrashSimulation;

/// <summary>
/// A memory device that remembers every write since its last flush, so that tests can produce the images a
/// power cut could leave behind: any prefix of the unflushed writes, or any subset of them (the device may
/// reorder writes between flushes), with writes torn at sector granularity. Everything is deterministic.
/// </summary>
/// <remarks>
/// Reads see every completed write, as a real device's cache does. <see cref="BlockDevice.Flush"/> makes
/// the pending writes durable. Crash images are copy-on-write snapshots, so making thousands is cheap.
/// </remarks>
public sealed class CrashSimulatingDevice : BlockDevice
{
    private readonly MemoryBlockDevice _durable;
    private readonly MemoryBlockDevice _current;
    private readonly List<PendingWrite> _pending = [];
    private readonly Lock _lock = new();
    private long _writeCount;
    private long _flushCount;

    /// <summary>Creates a zero-filled device of <paramref name="length"/> bytes.</summary>
    public CrashSimulatingDevice(long length, int sectorSize = 512)
        : this(new MemoryBlockDevice(length, sectorSize))
    {
    }

    /// <summary>Creates a device whose durable contents start as a copy of <paramref name="initial"/>.</summary>
    public CrashSimulatingDevice(MemoryBlockDevice initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _durable = initial.Snapshot();
        _current = initial.Snapshot();
    }

    /// <summary>Raised at the start of every flush, before the pending writes become durable.</summary>
    /// <remarks>A handler can take crash images here: they are the power cuts that strike during the flush.</remarks>
    public event EventHandler? Flushing;

    /// <inheritdoc />
    public override int SectorSize => _current.SectorSize;

    /// <inheritdoc />
    public override long Length => _current.Length;

    /// <inheritdoc />
    public override bool IsReadOnly => false;

    /// <inheritdoc />
    public override string Description => $"crash-simulating device ({Length} bytes)";

    /// <summary>The number of writes and discards seen so far.</summary>
    public long WriteCount => Interlocked.Read(ref _writeCount);

    /// <summary>The number of flushes seen so far.</summary>
    public long FlushCount => Interlocked.Read(ref _flushCount);

    /// <summary>The writes and discards since the last flush, in the order they completed.</summary>
    public IReadOnlyList<PendingWrite> PendingWrites
    {
        get
        {
            lock (_lock)
            {
                return [.. _pending];
            }
        }
    }

    /// <summary>The contents that would survive a power cut in which every pending write is lost.</summary>
    public MemoryBlockDevice DurableImage() => CrashImage(CrashPlan.Prefix(0));

    /// <summary>The contents as they are now, as if every pending write survived.</summary>
    public MemoryBlockDevice CurrentImage()
    {
        lock (_lock)
        {
            return _current.Snapshot();
        }
    }

    /// <summary>
    /// The device a power cut at this moment could leave, with the pending writes that <paramref name="plan"/>
    /// keeps. The image is an independent, writable memory device (recovery writes to it).
    /// </summary>
    public MemoryBlockDevice CrashImage(CrashPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ThrowIfDisposed();
        lock (_lock)
        {
            var image = _durable.Snapshot();
            int sectorSize = SectorSize;
            foreach (var (index, kept) in plan.Choose(_pending, sectorSize))
            {
                Apply(image, _pending[index], kept, sectorSize);
            }

            return image;
        }
    }

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer) => _current.Read(offset, buffer);

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
    {
        lock (_lock)
        {
            _current.Write(offset, buffer);
            _pending.Add(new PendingWrite(_writeCount++, offset, buffer.Length, buffer.ToArray()));
        }
    }

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        lock (_lock)
        {
            // A discard becomes pending zeros, split so that every piece has an int length.
            for (long done = 0; done < length;)
            {
                int piece = (int)Math.Min(length - done, 1 << 30);
                _current.Discard(offset + done, piece);
                _pending.Add(new PendingWrite(_writeCount++, offset + done, piece, ReadOnlyMemory<byte>.Empty));
                done += piece;
            }
        }
    }

    /// <inheritdoc />
    protected override void FlushCore()
    {
        Flushing?.Invoke(this, EventArgs.Empty);
        lock (_lock)
        {
            int sectorSize = SectorSize;
            foreach (var write in _pending)
            {
                Apply(_durable, write, SectorMask.All, sectorSize);
            }

            _pending.Clear();
            _flushCount++;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _pending.Clear();
            }

            _durable.Dispose();
            _current.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void Apply(MemoryBlockDevice image, PendingWrite write, SectorMask kept, int sectorSize)
    {
        if (kept.IsAll)
        {
            if (write.IsDiscard)
            {
                image.Discard(write.Offset, write.Length);
            }
            else
            {
                image.Write(write.Offset, write.Data.Span);
            }

            return;
        }

        int sectors = write.Length / sectorSize;
        for (int s = 0; s < sectors; s++)
        {
            if (!kept.Keeps(s))
            {
                continue;
            }

            long offset = write.Offset + ((long)s * sectorSize);
            if (write.IsDiscard)
            {
                image.Discard(offset, sectorSize);
            }
            else
            {
                image.Write(offset, write.Data.Span.Slice(s * sectorSize, sectorSize));
            }
        }
    }
}
