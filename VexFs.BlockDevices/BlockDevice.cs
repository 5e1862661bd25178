namespace VexFs.BlockDevices;

/// <summary>
/// A random-access store of fixed-size sectors: the contract every VexFS layer is written against.
/// </summary>
/// <remarks>
/// <para>
/// Every read, write and discard addresses whole sectors: its byte offset and length must be multiples of
/// <see cref="SectorSize"/> and lie within <see cref="Length"/>. A request that does not gets an
/// <see cref="ArgumentException"/> or <see cref="ArgumentOutOfRangeException"/> that names the offending
/// numbers; nothing is ever silently truncated.
/// </para>
/// <para>
/// Durability: a completed <see cref="Write(long, ReadOnlySpan{byte})"/> may still sit in a volatile cache.
/// After <see cref="Flush"/> returns, everything written before the call survives a power cut. Writes that
/// were not flushed may survive in any combination, reordered, and torn at sector granularity.
/// </para>
/// <para>
/// After <see cref="Discard"/>, the discarded range reads as zeros or as its old contents; which one is up to
/// the device. Instances are safe for concurrent use by several threads on distinct ranges.
/// </para>
/// </remarks>
public abstract class BlockDevice : IDisposable, IAsyncDisposable
{
    private int _disposed;

    /// <summary>The logical sector size in bytes: a power of two between 512 and 65,536.</summary>
    public abstract int SectorSize { get; }

    /// <summary>The addressable length in bytes, a multiple of <see cref="SectorSize"/>.</summary>
    public abstract long Length { get; }

    /// <summary>Whether writes, flushes and discards are refused.</summary>
    public abstract bool IsReadOnly { get; }

    /// <summary>A short description of what backs this device, for messages and logs.</summary>
    public abstract string Description { get; }

    /// <summary>Whether <see cref="Dispose()"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// The highest end offset a write may reach. Equal to <see cref="Length"/> except on devices that grow
    /// when written past their end.
    /// </summary>
    protected virtual long WritableLength => Length;

    /// <summary>
    /// Opens whatever <paramref name="path"/> names: an NBD URI as an <see cref="Nbd.NbdBlockDevice"/>, a block
    /// device node as a <see cref="LinuxBlockDevice"/> (exclusive, O_DIRECT), anything else as an
    /// <see cref="ImageFileDevice"/>.
    /// </summary>
    /// <param name="path">
    /// A device node such as <c>/dev/loop0</c>, an image file, or an NBD URI such as <c>nbd://host/export</c> or
    /// <c>nbd+unix:///export?socket=/run/nbd.sock</c>.
    /// </param>
    /// <param name="readOnly">Open for reading only.</param>
    public static BlockDevice Open(string path, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Nbd.NbdEndpoint.IsNbdUri(path))
        {
            return Nbd.NbdBlockDevice.Connect(Nbd.NbdEndpoint.Parse(path), new Nbd.NbdDeviceOptions { ReadOnly = readOnly });
        }

        return Linux.FileStatus.Of(path).IsBlockDevice
            ? LinuxBlockDevice.Open(path, new RawDeviceOptions { ReadOnly = readOnly })
            : ImageFileDevice.Open(path, new ImageFileOptions { ReadOnly = readOnly });
    }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes starting at <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<byte> buffer)
    {
        CheckRead(offset, buffer.Length);
        ReadCore(offset, buffer);
    }

    /// <summary>Writes <paramref name="buffer"/> starting at <paramref name="offset"/>.</summary>
    public void Write(long offset, ReadOnlySpan<byte> buffer)
    {
        CheckWrite(offset, buffer.Length);
        WriteCore(offset, buffer);
    }

    /// <summary>Asynchronously reads <paramref name="buffer"/>.Length bytes starting at <paramref name="offset"/>.</summary>
    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        CheckRead(offset, buffer.Length);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled(cancellationToken)
            : ReadCoreAsync(offset, buffer, cancellationToken);
    }

    /// <summary>Asynchronously writes <paramref name="buffer"/> starting at <paramref name="offset"/>.</summary>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        CheckWrite(offset, buffer.Length);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled(cancellationToken)
            : WriteCoreAsync(offset, buffer, cancellationToken);
    }

    /// <summary>
    /// A durability barrier: when it returns, every write completed before the call survives a power cut.
    /// A no-op on a read-only device.
    /// </summary>
    public void Flush()
    {
        ThrowIfDisposed();
        if (!IsReadOnly)
        {
            FlushCore();
        }
    }

    /// <summary>The asynchronous twin of <see cref="Flush"/>.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return IsReadOnly ? ValueTask.CompletedTask : FlushCoreAsync(cancellationToken);
    }

    /// <summary>
    /// Tells the device that a range no longer holds data (TRIM, punch-hole). Afterwards the range reads as
    /// zeros or as its old contents.
    /// </summary>
    public void Discard(long offset, long length)
    {
        CheckWrite(offset, length);
        if (length > 0)
        {
            DiscardCore(offset, length);
        }
    }

    /// <summary>Releases the device and whatever it owns.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Dispose(disposing: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the device and whatever it owns.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>Reads a validated, sector-aligned, in-range request.</summary>
    protected abstract void ReadCore(long offset, Span<byte> buffer);

    /// <summary>Writes a validated, sector-aligned, in-range request.</summary>
    protected abstract void WriteCore(long offset, ReadOnlySpan<byte> buffer);

    /// <summary>Makes every completed write durable.</summary>
    protected abstract void FlushCore();

    /// <summary>Discards a validated, sector-aligned, in-range, non-empty range.</summary>
    protected abstract void DiscardCore(long offset, long length);

    /// <summary>Reads asynchronously; the default completes synchronously.</summary>
    protected virtual ValueTask ReadCoreAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ReadCore(offset, buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes asynchronously; the default completes synchronously.</summary>
    protected virtual ValueTask WriteCoreAsync(long offset, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        WriteCore(offset, buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Flushes asynchronously; the default completes synchronously.</summary>
    protected virtual ValueTask FlushCoreAsync(CancellationToken cancellationToken)
    {
        FlushCore();
        return ValueTask.CompletedTask;
    }

    /// <summary>Releases resources; called once.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the device is disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    private void CheckRead(long offset, long length)
    {
        ThrowIfDisposed();
        CheckRange(offset, length, Length, "read");
    }

    private void CheckWrite(long offset, long length)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            throw new NotSupportedException($"{Description} is open read-only.");
        }

        CheckRange(offset, length, WritableLength, "write");
    }

    private void CheckRange(long offset, long length, long limit, string operation)
    {
        int sector = SectorSize;
        if (offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The {operation} offset {offset} is negative.");
        }

        if (offset % sector != 0)
        {
            throw new ArgumentException(
                $"The {operation} offset {offset} is not a multiple of the {sector}-byte sector size of {Description}.",
                nameof(offset));
        }

        if (length % sector != 0)
        {
            throw new ArgumentException(
                $"The {operation} length {length} is not a multiple of the {sector}-byte sector size of {Description}.",
                nameof(length));
        }

        if (offset > limit || length > limit - offset)
        {
            throw new ArgumentOutOfRangeException(
                nameof(offset),
                offset,
                $"The {operation} of {length} bytes at offset {offset} ends past the end of {Description} ({limit} bytes).");
        }
    }
}
