using System.Diagnostics;
using VexFs.BlockDevices;

namespace VexFs.Core.Diagnostics;

/// <summary>
/// The filesystem's view of its device: every operation passes to the device it wraps, counted (operations and
/// bytes) and, while a listener wants it, timed into <see cref="FileSystemMetrics.DeviceDuration"/>.
/// </summary>
internal sealed class MeteredDevice(BlockDevice inner, FileSystemMetrics metrics) : BlockDevice
{
    private static readonly KeyValuePair<string, object?> ReadOperation = new(FileSystemMetrics.OperationTag, "read");
    private static readonly KeyValuePair<string, object?> WriteOperation = new(FileSystemMetrics.OperationTag, "write");
    private static readonly KeyValuePair<string, object?> FlushOperation = new(FileSystemMetrics.OperationTag, "flush");
    private static readonly KeyValuePair<string, object?> DiscardOperation = new(FileSystemMetrics.OperationTag, "discard");

    private long _reads;
    private long _writes;
    private long _flushes;
    private long _discards;
    private long _bytesRead;
    private long _bytesWritten;

    /// <inheritdoc />
    public override int SectorSize => inner.SectorSize;

    /// <inheritdoc />
    public override long Length => inner.Length;

    /// <inheritdoc />
    public override bool IsReadOnly => inner.IsReadOnly;

    /// <inheritdoc />
    public override string Description => inner.Description;

    /// <inheritdoc />
    protected override long WritableLength => inner is MemoryBlockDevice { IsGrowable: true } growable ? growable.Capacity : inner.Length;

    public long Reads => Volatile.Read(ref _reads);

    public long Writes => Volatile.Read(ref _writes);

    public long Flushes => Volatile.Read(ref _flushes);

    public long Discards => Volatile.Read(ref _discards);

    public long BytesRead => Volatile.Read(ref _bytesRead);

    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer)
    {
        long started = Started();
        inner.Read(offset, buffer);
        Interlocked.Add(ref _bytesRead, buffer.Length);
        Done(started, ref _reads, ReadOperation);
    }

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
    {
        long started = Started();
        inner.Write(offset, buffer);
        Interlocked.Add(ref _bytesWritten, buffer.Length);
        Done(started, ref _writes, WriteOperation);
    }

    /// <inheritdoc />
    protected override void FlushCore()
    {
        long started = Started();
        inner.Flush();
        Done(started, ref _flushes, FlushOperation);
    }

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        long started = Started();
        inner.Discard(offset, length);
        Done(started, ref _discards, DiscardOperation);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private long Started() => metrics.DeviceDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Counts one finished operation, and times it when <paramref name="started"/> says a listener wanted it.</summary>
    private void Done(long started, ref long operations, KeyValuePair<string, object?> operation)
    {
        Interlocked.Increment(ref operations);
        if (started != 0)
        {
            metrics.DeviceDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, operation);
        }
    }
}
