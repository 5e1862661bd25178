using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// One connection in transmission: requests go out under a send lock, and a single reader thread takes every
/// reply off the socket and completes the request whose cookie it carries, so that any number of requests can
/// be in flight at once.
/// </summary>
/// <remarks>
/// <para>
/// Ownership of a request: the requester rents an <see cref="NbdOperation"/> and registers it under the send
/// lock, just before its header is written. From then on only the reader completes it, and only after its last
/// touch of the operation's buffer; the requester waits, then returns the operation to the pool.
/// </para>
/// <para>
/// Failure: when the connection breaks (the server closes it or dies, a send fails, the reader meets a
/// protocol violation, or the connection is disposed), the first cause is latched, the socket is shut down,
/// and the reader, on its way out, fails every registered request with an <see cref="IOException"/> that
/// names the cause. A request registered later is refused at once with the same cause; nothing waits forever.
/// With a request timeout, a request that has had no reply for that long breaks the connection the same way
/// (a stalled server is then told from a slow one only by the time it takes).
/// Lock order: <c>_sendLock</c>, then <c>_pendingLock</c>.
/// </para>
/// </remarks>
internal sealed class NbdConnection : IDisposable
{
    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly string _device;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly byte[] _requestHeader = new byte[NbdRequest.Size];
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<ulong, NbdOperation> _pending = [];
    private readonly Thread _reader;
    private readonly TimeSpan _requestTimeout;
    private readonly Timer? _watchdog;
    private IOException? _failure;
    private bool _serverShuttingDown;
    private ulong _nextCookie;

    private NbdConnection(Socket socket, Stream stream, NbdExport export, string device, TimeSpan requestTimeout)
    {
        _socket = socket;
        _stream = stream;
        _device = device;
        _requestTimeout = requestTimeout;
        Export = export;
        _reader = new Thread(ReadReplies) { IsBackground = true, Name = "NBD replies" };
        _reader.Start();
        if (requestTimeout != Timeout.InfiniteTimeSpan)
        {
            var period = TimeSpan.FromTicks(Math.Max(requestTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
            _watchdog = new Timer(static state => ((NbdConnection)state!).BreakIfLate(), this, period, period);
        }
    }

    public NbdExport Export { get; }

    /// <summary>
    /// Connects and negotiates, within <paramref name="timeout"/>; afterwards a request without a reply for
    /// <paramref name="requestTimeout"/> (or <see cref="Timeout.InfiniteTimeSpan"/>) breaks the connection.
    /// </summary>
    public static async Task<NbdConnection> OpenAsync(
        NbdEndpoint endpoint, bool structuredReplies, TimeSpan timeout, TimeSpan requestTimeout, string device, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        Socket? socket = null;
        Stream? stream = null;
        try
        {
            socket = await NbdTransport.ConnectAsync(endpoint, limit.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            (stream, var export) = await NbdHandshake.NegotiateAsync(stream, endpoint, structuredReplies, limit.Token).ConfigureAwait(false);
            return new NbdConnection(socket, stream, export, device, requestTimeout);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Close(socket, stream);
            throw new IOException($"The NBD server at {endpoint} did not complete the connection and handshake within {timeout.TotalSeconds:0.###} s.", e);
        }
        catch
        {
            Close(socket, stream);
            throw;
        }
    }

    /// <summary>
    /// Sends a request from the calling thread and returns the operation to wait on. <paramref name="payload"/>
    /// is the data of a write; <paramref name="destination"/> receives a read's data.
    /// </summary>
    public NbdOperation Send(
        NbdCommand command, NbdCommandFlags flags, long offset, int length, ReadOnlySpan<byte> payload, Memory<byte> destination)
    {
        var operation = NbdOperation.Rent(command, offset, length, destination);
        _sendLock.Wait();
        try
        {
            ulong cookie = Register(operation);
            new NbdRequest(flags, command, cookie, (ulong)offset, (uint)length).WriteTo(_requestHeader);
            try
            {
                _stream.Write(_requestHeader);
                if (!payload.IsEmpty)
                {
                    _stream.Write(payload);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                Break(NbdErrors.ConnectionFailure($"Sending to {_device} failed: {e.Message}", e));
            }
        }
        finally
        {
            _sendLock.Release();
        }

        return operation;
    }

    /// <summary>The asynchronous twin of <see cref="Send"/>; cancellation is honoured until the request is sent.</summary>
    public async ValueTask<NbdOperation> SendAsync(
        NbdCommand command, NbdCommandFlags flags, long offset, int length, ReadOnlyMemory<byte> payload, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        var operation = NbdOperation.Rent(command, offset, length, destination);
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            NbdOperation.Return(operation);
            throw;
        }

        try
        {
            ulong cookie = Register(operation);
            new NbdRequest(flags, command, cookie, (ulong)offset, (uint)length).WriteTo(_requestHeader);
            try
            {
                // Not cancellable: half a request would leave the stream unreadable for the server.
                await _stream.WriteAsync(_requestHeader, CancellationToken.None).ConfigureAwait(false);
                if (!payload.IsEmpty)
                {
                    await _stream.WriteAsync(payload, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                Break(NbdErrors.ConnectionFailure($"Sending to {_device} failed: {e.Message}", e));
            }
        }
        finally
        {
            _sendLock.Release();
        }

        return operation;
    }

    /// <summary>Ends the session: a soft disconnect (NBD_CMD_DISC) when it can be sent, then the socket is closed.</summary>
    public void Dispose()
    {
        lock (_pendingLock)
        {
            _failure ??= NbdErrors.ConnectionFailure($"The connection to {_device} was closed.");
        }

        _watchdog?.Dispose();
        SendDisconnect();
        Close(_socket, _stream);
        _reader.Join(DisconnectTimeout);
    }

    private static void Close(Socket? socket, Stream? stream)
    {
        try
        {
            socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or never connected: closing is all that is left to do.
        }

        stream?.Dispose();
        socket?.Dispose();
    }

    /// <summary>Registers a request; refuses it when the connection has failed or the server is shutting down.</summary>
    private ulong Register(NbdOperation operation)
    {
        lock (_pendingLock)
        {
            if (_failure is { } failure)
            {
                NbdOperation.Return(operation);
                throw NbdErrors.ConnectionFailure(failure.Message, failure);
            }

            if (_serverShuttingDown)
            {
                NbdOperation.Return(operation);
                throw new IOException($"The NBD server of {_device} is shutting down (it answered ESHUTDOWN); reconnect to go on.", (int)NbdErrors.Eshutdown);
            }

            ulong cookie = ++_nextCookie;
            operation.Sent = Stopwatch.GetTimestamp();
            _pending.Add(cookie, operation);
            return cookie;
        }
    }

    /// <summary>The watchdog's tick: breaks the connection when a request has waited longer than the timeout.</summary>
    private void BreakIfLate()
    {
        string? late = null;
        lock (_pendingLock)
        {
            if (_failure is not null)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            foreach (var operation in _pending.Values)
            {
                if (Stopwatch.GetElapsedTime(operation.Sent, now) > _requestTimeout)
                {
                    late = operation.Describe(_device);
                    break;
                }
            }
        }

        if (late is not null)
        {
            Break(NbdErrors.ConnectionFailure(
                $"{late} had no reply within {_requestTimeout.TotalSeconds:0.###} s; the connection is closed."));
        }
    }

    /// <summary>Latches <paramref name="cause"/> as the connection's failure and shuts the socket, which ends the reader.</summary>
    private void Break(IOException cause)
    {
        lock (_pendingLock)
        {
            _failure ??= cause;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already shut: the reader is on its way out.
        }
    }

    private void SendDisconnect()
    {
        if (!_sendLock.Wait(DisconnectTimeout))
        {
            return;
        }

        try
        {
            new NbdRequest(NbdCommandFlags.None, NbdCommand.Disconnect, 0, 0, 0).WriteTo(_requestHeader);
            _stream.Write(_requestHeader);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The connection is gone already; there is nobody left to say goodbye to.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// The reply reader's loop, on a thread of its own: a synchronous request waits on this thread alone, never
    /// on the thread pool, so requests complete even while the pool is starved by blocked callers.
    /// </summary>
    private void ReadReplies()
    {
        byte[] header = new byte[NbdStructuredReply.Size];
        byte[] scratch = new byte[NbdStructuredReply.MaxErrorLength];
        IOException failure;
        try
        {
            while (true)
            {
                _stream.ReadExactly(header.AsSpan(0, NbdSimpleReply.Size));
                uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
                if (magic == NbdProtocol.SimpleReplyMagic)
                {
                    Receive(NbdSimpleReply.ReadFrom(header));
                }
                else if (magic == NbdProtocol.StructuredReplyMagic && Export.StructuredReplies)
                {
                    _stream.ReadExactly(header.AsSpan(NbdSimpleReply.Size, NbdStructuredReply.Size - NbdSimpleReply.Size));
                    Receive(NbdStructuredReply.ReadFrom(header), scratch);
                }
                else
                {
                    throw new IOException($"NBD protocol violation: a reply begins with 0x{magic:x8}.");
                }
            }
        }
        catch (EndOfStreamException)
        {
            failure = NbdErrors.ConnectionFailure($"The NBD server closed the connection to {_device}.");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            failure = NbdErrors.ConnectionFailure($"The connection to {_device} failed: {e.Message}", e);
        }
#pragma warning disable CA1031 // The reader must fail every waiter, whatever ended it, or they would wait forever.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = NbdErrors.ConnectionFailure($"The reply reader of {_device} stopped: {e.Message}", e);
        }

        Break(failure);
        FailPending();
    }

    private void FailPending()
    {
        NbdOperation[] operations;
        IOException failure;
        lock (_pendingLock)
        {
            failure = _failure!;
            operations = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var operation in operations)
        {
            operation.Complete(NbdErrors.ConnectionFailure(failure.Message, failure));
        }
    }

    private NbdOperation Find(ulong cookie)
    {
        lock (_pendingLock)
        {
            return _pending.TryGetValue(cookie, out var operation)
                ? operation
                : throw new IOException($"NBD protocol violation: a reply names cookie {cookie}, which no request in flight has.");
        }
    }

    /// <summary>Takes a request whose reply is complete off the books and completes it.</summary>
    private void Finish(ulong cookie, NbdOperation operation, IOException? error)
    {
        bool disconnect;
        lock (_pendingLock)
        {
            _pending.Remove(cookie);
            if (error?.HResult == (int)NbdErrors.Eshutdown)
            {
                _serverShuttingDown = true;
            }

            disconnect = _serverShuttingDown && _pending.Count == 0;
        }

        operation.Complete(error);
        if (disconnect)
        {
            // The protocol asks a client told ESHUTDOWN to disconnect softly once nothing is in flight.
            _ = Task.Run(SendDisconnect);
        }
    }

    private void Receive(NbdSimpleReply reply)
    {
        var operation = Find(reply.Cookie);
        if (reply.Error != 0)
        {
            Finish(reply.Cookie, operation, NbdErrors.ToException(reply.Error, operation.Describe(_device), serverMessage: null));
            return;
        }

        if (operation.Command == NbdCommand.Read)
        {
            if (Export.StructuredReplies)
            {
                throw new IOException("NBD protocol violation: a simple reply answered NBD_CMD_READ after structured replies were agreed.");
            }

            _stream.ReadExactly(operation.Destination.Span);
        }

        Finish(reply.Cookie, operation, error: null);
    }

    private void Receive(NbdStructuredReply chunk, byte[] scratch)
    {
        var operation = Find(chunk.Cookie);
        switch (chunk.Type)
        {
            case NbdChunkType.None when chunk.Length == 0 && chunk.IsDone:
                break;
            case NbdChunkType.OffsetData when operation.Command == NbdCommand.Read && chunk.Length >= NbdStructuredReply.OffsetSize:
                _stream.ReadExactly(scratch.AsSpan(0, NbdStructuredReply.OffsetSize));
                ulong dataOffset = BinaryPrimitives.ReadUInt64BigEndian(scratch);
                uint dataLength = chunk.Length - NbdStructuredReply.OffsetSize;
                int at = Within(operation, dataOffset, dataLength);
                _stream.ReadExactly(operation.Destination.Span.Slice(at, (int)dataLength));
                operation.Covered += dataLength;
                break;
            case NbdChunkType.OffsetHole when operation.Command == NbdCommand.Read && chunk.Length == NbdStructuredReply.HoleSize:
                _stream.ReadExactly(scratch.AsSpan(0, NbdStructuredReply.HoleSize));
                var (holeOffset, holeLength) = NbdStructuredReply.ReadHole(scratch);
                operation.Destination.Span.Slice(Within(operation, holeOffset, holeLength), (int)holeLength).Clear();
                operation.Covered += holeLength;
                break;
            case var _ when chunk.IsError && chunk.Length <= NbdStructuredReply.MaxErrorLength:
                _stream.ReadExactly(scratch.AsSpan(0, (int)chunk.Length));
                var (errno, message, errorOffset) = NbdStructuredReply.ReadError(scratch.AsSpan(0, (int)chunk.Length), chunk.Type);
                string request = operation.Describe(_device) + (errorOffset is { } where ? $" (at offset {where})" : string.Empty);
                operation.Error ??= NbdErrors.ToException(errno == 0 ? NbdErrors.Eio : errno, request, message);
                break;
            default:
                throw new IOException(
                    $"NBD protocol violation: a chunk of type {(ushort)chunk.Type} with {chunk.Length} bytes (flags {(ushort)chunk.Flags}) answered {operation.Describe(_device)}.");
        }

        if (chunk.IsDone)
        {
            var error = operation.Error;
            if (error is null && operation.Command == NbdCommand.Read && operation.Covered != operation.Length)
            {
                error = new IOException($"The NBD server answered {operation.Describe(_device)} with {operation.Covered} bytes.", (int)NbdErrors.Eio);
            }

            Finish(chunk.Cookie, operation, error);
        }
    }

    /// <summary>Where a chunk's range starts in the request's buffer; throws when the range is not inside the request.</summary>
    private static int Within(NbdOperation operation, ulong offset, uint length)
    {
        ulong start = (ulong)operation.Offset;
        if (offset < start || offset - start > (ulong)operation.Length || length > (ulong)operation.Length - (offset - start))
        {
            throw new IOException(
                $"NBD protocol violation: a chunk for {length} bytes at offset {offset} falls outside the request for {operation.Length} bytes at offset {start}.");
        }

        return (int)(offset - start);
    }
}
