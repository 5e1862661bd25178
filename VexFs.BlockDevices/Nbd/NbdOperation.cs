using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// One request in flight: where its reply's data goes, what the reply said so far, and the completion the
/// requester waits on, synchronously or as a <see cref="ValueTask"/>. Pooled, so that a request allocates
/// nothing once the pool is warm.
/// </summary>
/// <remarks>
/// Only the connection's reply reader completes an operation that was registered with the connection, and it
/// stops touching the operation (and its <see cref="Destination"/>) before it does; the requester returns it to
/// the pool after its wait ends.
/// </remarks>
internal sealed class NbdOperation : IValueTaskSource
{
    private static readonly ObjectPool<NbdOperation> Pool =
        new DefaultObjectPool<NbdOperation>(new Policy(), Environment.ProcessorCount * 16);

    private readonly object _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core;
    private bool _completed;

    private NbdOperation() => _core.RunContinuationsAsynchronously = true;

    public NbdCommand Command { get; private set; }

    public long Offset { get; private set; }

    public int Length { get; private set; }

    /// <summary>Where a read's data goes; exactly <see cref="Length"/> bytes.</summary>
    public Memory<byte> Destination { get; private set; }

    /// <summary>When the request was registered, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public long Sent { get; set; }

    /// <summary>How many bytes of a read the data and hole chunks received so far cover.</summary>
    public long Covered { get; set; }

    /// <summary>The first error a chunk of the reply reported; the reply still runs to its last chunk.</summary>
    public IOException? Error { get; set; }

    public static NbdOperation Rent(NbdCommand command, long offset, int length, Memory<byte> destination)
    {
        var operation = Pool.Get();
        operation.Command = command;
        operation.Offset = offset;
        operation.Length = length;
        operation.Destination = destination;
        return operation;
    }

    public static void Return(NbdOperation operation) => Pool.Return(operation);

    /// <summary>What the request was, for messages: "NBD_CMD_READ of 4096 bytes at offset 8192".</summary>
    public string Describe(string device) => Command == NbdCommand.Flush
        ? $"{NbdProtocol.Name(Command)} of {device}"
        : $"{NbdProtocol.Name(Command)} of {Length} bytes at offset {Offset} of {device}";

    /// <summary>
    /// Completes the request. Setting the result is the last touch of the operation's state: an asynchronous
    /// waiter may run at once on another thread and return the operation to the pool, and a later renter's
    /// request must not see this completion. A synchronous waiter wakes only after the lock is released, and
    /// then finds the result set.
    /// </summary>
    public void Complete(IOException? error)
    {
        lock (_gate)
        {
            _completed = true;
            if (error is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(error);
            }

            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Blocks until the reply has come, then throws its error if it has one.</summary>
    public void Wait()
    {
        lock (_gate)
        {
            while (!_completed)
            {
                Monitor.Wait(_gate);
            }
        }

        _core.GetResult(_core.Version);
    }

    public ValueTask WaitAsync() => new(this, _core.Version);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private sealed class Policy : PooledObjectPolicy<NbdOperation>
    {
        public override NbdOperation Create() => new();

        public override bool Return(NbdOperation obj)
        {
            obj._core.Reset();
            obj._completed = false;
            obj.Destination = default;
            obj.Covered = 0;
            obj.Error = null;
            return true;
        }
    }
}
