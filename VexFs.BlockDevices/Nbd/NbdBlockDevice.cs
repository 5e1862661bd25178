using System.Buffers;
using System.Runtime.ExceptionServices;
using VexFs.BlockDevices.Linux;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// An export of an NBD server (nbdkit, qemu-nbd, nbd-server, rbd-nbd, ...) used as a block device, over TCP or a
/// Unix domain socket.
/// </summary>
/// <remarks>
/// <para>
/// The handshake is fixed newstyle with NBD_OPT_GO, falling back to NBD_OPT_EXPORT_NAME for servers that do not
/// know it. The sector size is the server's minimum block size, at least 512; requests longer than the server's
/// maximum (or <see cref="NbdDeviceOptions.MaxRequestLength"/>) are split and the pieces sent side by side. Any
/// number of requests may be in flight on a connection; with several connections (when the server allows it)
/// requests are spread across them.
/// </para>
/// <para>
/// <see cref="BlockDevice.Flush"/> sends NBD_CMD_FLUSH on every connection (a no-op when the server offers no
/// flush). <see cref="BlockDevice.Discard"/> sends NBD_CMD_TRIM, or NBD_CMD_WRITE_ZEROES when the server
/// offers no trim but can zero, and does nothing when it can do neither.
/// </para>
/// <para>
/// Errors: a server's error reply becomes an <see cref="IOException"/> that names the NBD error and the request
/// (ENOSPC a <see cref="DiskFullException"/>); a broken connection fails every request in flight, and every later
/// one, with an <see cref="IOException"/> that says so. A device does not reconnect: open a new one.
/// </para>
/// </remarks>
public sealed class NbdBlockDevice : BlockDevice
{
    private const int MaxConnections = 16;

    private readonly NbdConnection[] _connections;
    private readonly NbdExport _export;
    private readonly int _sectorSize;
    private readonly long _length;
    private readonly bool _readOnly;
    private readonly int _maxRequest;
    private readonly bool _writeThrough;
    private readonly string _description;
    private uint _next;

    private NbdBlockDevice(NbdEndpoint endpoint, NbdConnection[] connections, Geometry geometry, NbdDeviceOptions options, string description)
    {
        Endpoint = endpoint;
        _connections = connections;
        _export = connections[0].Export;
        _sectorSize = geometry.SectorSize;
        _length = geometry.Length;
        _maxRequest = geometry.MaxRequest;
        _readOnly = options.ReadOnly;
        _writeThrough = options.WriteThrough;
        _description = description;
    }

    /// <summary>Where the export is.</summary>
    public NbdEndpoint Endpoint { get; }

    /// <summary>How many connections the device uses: more than one only when the server allows several.</summary>
    public int ConnectionCount => _connections.Length;

    /// <inheritdoc />
    public override int SectorSize => _sectorSize;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override bool IsReadOnly => _readOnly;

    /// <inheritdoc />
    public override string Description => _description;

    /// <summary>What the server said about the export (flags, block sizes, structured replies), for tests.</summary>
    internal NbdExport Export => _export;

    /// <summary>The longest request sent in one piece.</summary>
    internal int MaxRequest => _maxRequest;

    /// <summary>Connects to an export and completes the handshake.</summary>
    /// <param name="endpoint">Where the export is; see <see cref="NbdEndpoint.Parse"/> for the URI forms.</param>
    /// <param name="options">How to connect; <see cref="NbdDeviceOptions.Default"/> when null.</param>
    /// <exception cref="IOException">
    /// The server cannot be reached, refuses the export (<see cref="FileNotFoundException"/> when it has no export of
    /// that name), requires TLS, breaks the protocol, or does not finish the handshake in time.
    /// </exception>
    public static NbdBlockDevice Connect(NbdEndpoint endpoint, NbdDeviceOptions? options = null) =>
        ConnectAsync(endpoint, options).GetAwaiter().GetResult();

    /// <summary>The asynchronous twin of <see cref="Connect"/>.</summary>
    public static async Task<NbdBlockDevice> ConnectAsync(
        NbdEndpoint endpoint, NbdDeviceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= NbdDeviceOptions.Default;
        Validate(options);
        string description = $"NBD export {endpoint}";
        var connections = new List<NbdConnection>();
        try
        {
            connections.Add(await Open().ConfigureAwait(false));
            var export = connections[0].Export;
            var geometry = Geometry.Of(export, options, description);
            if (export.IsReadOnly && !options.ReadOnly)
            {
                throw new UnauthorizedIOException(
                    $"{description} is read-only (the server says so); open it with {nameof(NbdDeviceOptions)}.{nameof(NbdDeviceOptions.ReadOnly)}.",
                    LinuxNative.Erofs);
            }

            int count = export.Has(NbdTransmissionFlags.CanMultiConn) ? options.Connections : 1;
            if (count > 1)
            {
                var more = Enumerable.Range(1, count - 1).Select(_ => Open()).ToArray();
                try
                {
                    await Task.WhenAll(more).ConfigureAwait(false);
                }
                finally
                {
                    connections.AddRange(more.Where(task => task.IsCompletedSuccessfully).Select(task => task.Result));
                }

                if (connections.Any(c => c.Export.Size != export.Size || c.Export.Flags != export.Flags || c.Export.StructuredReplies != export.StructuredReplies))
                {
                    throw new IOException($"The connections to {description} disagree about the export's size or flags.");
                }
            }

            return new NbdBlockDevice(endpoint, [.. connections], geometry, options, description);
        }
        catch
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }

            throw;
        }

        Task<NbdConnection> Open() =>
            NbdConnection.OpenAsync(endpoint, options.StructuredReplies, options.ConnectTimeout, options.RequestTimeout, description, cancellationToken);
    }

    /// <inheritdoc />
    protected override unsafe void ReadCore(long offset, Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        fixed (byte* pointer = buffer)
        {
            using var memory = new PinnedSpanMemory(pointer, buffer.Length);
            Run(NbdCommand.Read, NbdCommandFlags.None, offset, buffer.Length, ReadOnlySpan<byte>.Empty, memory.Memory);
        }
    }

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        Run(NbdCommand.Write, WriteFlags, offset, buffer.Length, buffer, Memory<byte>.Empty);
        if (_writeThrough && WriteFlags == NbdCommandFlags.None)
        {
            FlushCore();
        }
    }

    /// <inheritdoc />
    protected override async ValueTask ReadCoreAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!buffer.IsEmpty)
        {
            await RunAsync(NbdCommand.Read, NbdCommandFlags.None, offset, buffer.Length, ReadOnlyMemory<byte>.Empty, buffer, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask WriteCoreAsync(long offset, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        await RunAsync(NbdCommand.Write, WriteFlags, offset, buffer.Length, buffer, Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        if (_writeThrough && WriteFlags == NbdCommandFlags.None)
        {
            await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override void FlushCore()
    {
        if (!_export.Has(NbdTransmissionFlags.SendFlush))
        {
            return;
        }

        // Every connection is flushed, so that the barrier holds whichever one carried a write.
        var operations = ArrayPool<NbdOperation>.Shared.Rent(_connections.Length);
        int sent = 0;
        IOException? error = null;
        try
        {
            for (; sent < _connections.Length; sent++)
            {
                operations[sent] = _connections[sent].Send(NbdCommand.Flush, NbdCommandFlags.None, 0, 0, ReadOnlySpan<byte>.Empty, Memory<byte>.Empty);
            }
        }
        catch (IOException e)
        {
            error = e;
        }
        finally
        {
            error = WaitAll(operations, sent, error);
            ArrayPool<NbdOperation>.Shared.Return(operations, clearArray: true);
        }

        ThrowIfFailed(error);
    }

    /// <inheritdoc />
    protected override async ValueTask FlushCoreAsync(CancellationToken cancellationToken)
    {
        if (!_export.Has(NbdTransmissionFlags.SendFlush))
        {
            return;
        }

        var flushes = new List<Task>(_connections.Length);
        Exception? error = null;
        try
        {
            foreach (var connection in _connections)
            {
                flushes.Add(Complete(await connection.SendAsync(
                    NbdCommand.Flush, NbdCommandFlags.None, 0, 0, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty, cancellationToken).ConfigureAwait(false)).AsTask());
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            error = e;
        }

        await Task.WhenAll(flushes).ConfigureAwait(false);
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        var command = _export.Has(NbdTransmissionFlags.SendTrim) ? NbdCommand.Trim
            : _export.Has(NbdTransmissionFlags.SendWriteZeroes) ? NbdCommand.WriteZeroes
            : (NbdCommand?)null;
        if (command is { } discard)
        {
            Run(discard, NbdCommandFlags.None, offset, length, ReadOnlySpan<byte>.Empty, Memory<byte>.Empty);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private NbdCommandFlags WriteFlags =>
        _writeThrough && _export.Has(NbdTransmissionFlags.SendFua) ? NbdCommandFlags.Fua : NbdCommandFlags.None;

    private static void Validate(NbdDeviceOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Connections, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Connections, MaxConnections, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRequestLength, SectorSizes.Max, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ConnectTimeout, TimeSpan.Zero, nameof(options));
        if (options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestTimeout, TimeSpan.Zero, nameof(options));
        }
    }

    private static async ValueTask Complete(NbdOperation operation)
    {
        try
        {
            await operation.WaitAsync().ConfigureAwait(false);
        }
        finally
        {
            NbdOperation.Return(operation);
        }
    }

    private static IOException? WaitAll(NbdOperation[] operations, int count, IOException? error)
    {
        for (int i = 0; i < count; i++)
        {
            try
            {
                operations[i].Wait();
            }
            catch (IOException e)
            {
                error ??= e;
            }
            finally
            {
                NbdOperation.Return(operations[i]);
            }
        }

        return error;
    }

    private static void ThrowIfFailed(IOException? error)
    {
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private NbdConnection Next() =>
        _connections.Length == 1 ? _connections[0] : _connections[Interlocked.Increment(ref _next) % (uint)_connections.Length];

    /// <summary>
    /// Sends a request in pieces of at most <see cref="MaxRequest"/> bytes, all in flight together, and waits for
    /// every piece before returning (a read's destination is only pinned that long), even when one fails.
    /// </summary>
    private void Run(NbdCommand command, NbdCommandFlags flags, long offset, long length, ReadOnlySpan<byte> payload, Memory<byte> destination)
    {
        if (length <= _maxRequest)
        {
            var operation = Next().Send(command, flags, offset, (int)length, payload, destination);
            try
            {
                operation.Wait();
            }
            finally
            {
                NbdOperation.Return(operation);
            }

            return;
        }

        int pieces = (int)((length + _maxRequest - 1) / _maxRequest);
        var operations = ArrayPool<NbdOperation>.Shared.Rent(pieces);
        int sent = 0;
        IOException? error = null;
        try
        {
            for (long done = 0; done < length; done += _maxRequest, sent++)
            {
                int piece = (int)Math.Min(_maxRequest, length - done);
                operations[sent] = Next().Send(
                    command,
                    flags,
                    offset + done,
                    piece,
                    payload.IsEmpty ? payload : payload.Slice((int)done, piece),
                    destination.IsEmpty ? destination : destination.Slice((int)done, piece));
            }
        }
        catch (IOException e)
        {
            error = e;
        }
        finally
        {
            error = WaitAll(operations, sent, error);
            ArrayPool<NbdOperation>.Shared.Return(operations, clearArray: true);
        }

        ThrowIfFailed(error);
    }

    private async ValueTask RunAsync(
        NbdCommand command, NbdCommandFlags flags, long offset, int length, ReadOnlyMemory<byte> payload, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        if (length <= _maxRequest)
        {
            await Complete(await Next().SendAsync(command, flags, offset, length, payload, destination, cancellationToken).ConfigureAwait(false))
                .ConfigureAwait(false);
            return;
        }

        var pieces = new List<Task>((length / _maxRequest) + 1);
        Exception? error = null;
        try
        {
            for (int done = 0; done < length; done += _maxRequest)
            {
                int piece = Math.Min(_maxRequest, length - done);
                var operation = await Next().SendAsync(
                    command,
                    flags,
                    offset + done,
                    piece,
                    payload.IsEmpty ? payload : payload.Slice(done, piece),
                    destination.IsEmpty ? destination : destination.Slice(done, piece),
                    cancellationToken).ConfigureAwait(false);
                pieces.Add(Complete(operation).AsTask());
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            error = e;
        }

        // The pieces already sent are waited for even when a later one could not be: their buffers are the caller's.
        await Task.WhenAll(pieces).ConfigureAwait(false);
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>The device's shape, from the export's size and block size constraints.</summary>
    private readonly record struct Geometry(int SectorSize, long Length, int MaxRequest)
    {
        public static Geometry Of(NbdExport export, NbdDeviceOptions options, string description)
        {
            if (export.MinimumBlockSize > SectorSizes.Max)
            {
                throw new IOException(
                    $"{description} needs requests aligned to {export.MinimumBlockSize} bytes; sector sizes up to {SectorSizes.Max} are supported.");
            }

            if (export.Size > long.MaxValue)
            {
                throw new IOException($"{description} reports a size of {export.Size} bytes, more than a device can address.");
            }

            int sector = Math.Max(SectorSizes.Min, (int)export.MinimumBlockSize);
            long length = (long)export.Size - ((long)export.Size % sector);

            // Pieces of a split request are whole multiples of the preferred block size when it fits, so that the
            // server is not made to read-modify-write at their edges.
            long maximum = Math.Min(export.MaximumBlockSize, (long)options.MaxRequestLength);
            long granule = export.PreferredBlockSize >= sector && export.PreferredBlockSize <= maximum ? export.PreferredBlockSize : sector;
            maximum -= maximum % granule;
            if (maximum < sector)
            {
                throw new IOException(
                    $"{description} accepts requests of at most {export.MaximumBlockSize} bytes, less than its {sector}-byte sector.");
            }

            return new Geometry(sector, length, (int)maximum);
        }
    }
}
