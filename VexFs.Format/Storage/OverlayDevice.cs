using VexFs.BlockDevices;

namespace VexFs.Format.Storage;

/// <summary>
/// A device seen through blocks held in memory: reads of a held block return it, writes (unless read-only)
/// go to memory, block by block, until <see cref="Spill"/> writes them through. A read-only open sees a
/// journal's replay this way without writing it; fsck stages a repair this way, to commit it through the
/// journal as one transaction, and spills it in place once it holds more than <c>holdAtMost</c> blocks.
/// </summary>
internal sealed class OverlayDevice(BlockDevice inner, int blockSize, bool readOnly, bool ownsInner, long holdAtMost = long.MaxValue) : BlockDevice
{
    private readonly Dictionary<long, byte[]> _held = [];
    private bool _spilled;

    /// <summary>The device underneath.</summary>
    public BlockDevice Inner => inner;

    /// <summary>Every block held, with its newest contents.</summary>
    public IReadOnlyDictionary<long, byte[]> Held => _held;

    /// <summary>Whether writes now go straight to <see cref="Inner"/>.</summary>
    public bool Spilled => _spilled;

    /// <inheritdoc />
    public override int SectorSize => inner.SectorSize;

    /// <inheritdoc />
    public override long Length => inner.Length;

    /// <inheritdoc />
    public override bool IsReadOnly => readOnly;

    /// <inheritdoc />
    public override string Description => inner.Description;

    /// <summary>Holds <paramref name="data"/> (one block, kept) as block <paramref name="block"/>'s contents.</summary>
    public void Put(long block, byte[] data) => _held[block] = data;

    /// <summary>Writes every held block through to <see cref="Inner"/> and makes later writes go straight there.</summary>
    public void Spill()
    {
        foreach (var (block, data) in _held.OrderBy(kv => kv.Key))
        {
            inner.Write(block * blockSize, data);
        }

        _held.Clear();
        _spilled = true;
    }

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer)
    {
        inner.Read(offset, buffer);
        if (_held.Count == 0)
        {
            return;
        }

        for (long block = offset / blockSize; block * blockSize < offset + buffer.Length; block++)
        {
            if (_held.TryGetValue(block, out var copy))
            {
                long from = Math.Max(offset, block * blockSize);
                long to = Math.Min(offset + buffer.Length, (block + 1) * blockSize);
                copy.AsSpan((int)(from - (block * blockSize)), (int)(to - from)).CopyTo(buffer[(int)(from - offset)..]);
            }
        }
    }

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
    {
        if (readOnly)
        {
            throw new NotSupportedException($"{Description} is seen through its journal, read-only.");
        }

        if (_spilled)
        {
            inner.Write(offset, buffer);
            return;
        }

        for (long block = offset / blockSize; block * blockSize < offset + buffer.Length; block++)
        {
            if (!_held.TryGetValue(block, out var copy))
            {
                copy = new byte[blockSize];
                inner.Read(block * blockSize, copy);
                _held[block] = copy;
            }

            long from = Math.Max(offset, block * blockSize);
            long to = Math.Min(offset + buffer.Length, (block + 1) * blockSize);
            buffer[(int)(from - offset)..(int)(to - offset)].CopyTo(copy.AsSpan((int)(from - (block * blockSize))));
        }

        if (_held.Count > holdAtMost)
        {
            Spill();
        }
    }

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        if (readOnly)
        {
            throw new NotSupportedException($"{Description} is seen through its journal, read-only.");
        }

        Spill();
        inner.Discard(offset, length);
    }

    /// <inheritdoc />
    protected override void FlushCore()
    {
        if (_spilled)
        {
            inner.Flush();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsInner)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
