using CommunityToolkit.HighPerformance.Buffers;
using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Core.Journal;
using VexFs.Format;

namespace VexFs.Core.Storage;

/// <summary>
/// The metadata blocks as the filesystem sees them: the running operation's writes, then the finished
/// operations not yet flushed, then those of the commit on its way to the journal, then the journal's
/// committed copies not yet checkpointed, then the block cache, then the device. Finished operations join compound transactions (<see cref="TransactionCompounder"/>),
/// so that after a crash the operations that survive are a prefix of those that finished, each whole.
/// </summary>
/// <remarks>
/// Reads may run on many threads at once while nothing changes; every other member needs the caller's
/// exclusive lock, except <see cref="Write(SealedCommit)"/>, which writes a sealed commit to the journal
/// while operations and reads go on (one commit at a time). Without a journal (a read-only open) the store
/// only reads.
/// The block copies an operation writes come from a free list and go back to it when a newer copy replaces
/// them before their compound is sealed, when an operation aborts, and after a commit: a steady stream of
/// operations allocates no block buffers.
/// </remarks>
internal sealed class JournaledStore : IBlockStore
{
    /// <summary>Block copies kept for reuse at most (4 MiB of 4 KiB blocks).</summary>
    private const int MaxFreeCopies = 1024;

    private static readonly HashSet<long> NoBlocks = [];

    private readonly BlockDevice _device;
    private readonly JournalWriter? _journal;
    private readonly BlockCache _cache;
    private readonly Dictionary<long, byte[]> _running = [];
    private readonly Dictionary<long, byte[]> _finished = [];
    private readonly Dictionary<long, byte[]> _committing = [];
    private readonly Stack<byte[]> _free = new();
    private readonly TransactionCompounder _pending;
    private long _finishedOperations;
    private long _durableOperations;

    public JournaledStore(BlockDevice device, JournalWriter? journal, BlockCache cache)
    {
        _device = device;
        _journal = journal;
        _cache = cache;
        BlockSize = cache.BlockSize;
        _pending = new(Math.Max(1, (journal?.MaxTransactionBlocks ?? 0) / 4), Release);
    }

    public int BlockSize { get; }

    /// <summary>Operations finished since the last commit was sealed.</summary>
    public int PendingTransactions => _pending.Operations;

    /// <summary>Operations that changed metadata, counted since the open; readable without the lock.</summary>
    public long FinishedOperations => Volatile.Read(ref _finishedOperations);

    /// <summary>How many of <see cref="FinishedOperations"/> are durable; readable without the lock.</summary>
    public long DurableOperations => Volatile.Read(ref _durableOperations);

    /// <summary>Bytes of metadata held for the next commit.</summary>
    public long PendingBytes => (long)_pending.Blocks * BlockSize;

    /// <summary>How long the oldest operation not yet committed has waited.</summary>
    public TimeSpan PendingAge => _pending.Operations == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(_pending.FirstAdded);

    public void Read(long block, Span<byte> buffer)
    {
        buffer = buffer[..BlockSize];
        if (_running.TryGetValue(block, out var data) || _finished.TryGetValue(block, out data) || _committing.TryGetValue(block, out data))
        {
            data.CopyTo(buffer);
        }
        else if ((_journal is null || !_journal.TryRead(block, buffer)) && !_cache.TryRead(block, buffer))
        {
            _device.Read(block * BlockSize, buffer);
            _cache.Put(block, buffer);
        }
    }

    public void ReadAhead(long block, Span<byte> buffer, long first, int count)
    {
        buffer = buffer[..BlockSize];
        if (count <= 1 || block < first || block >= first + count || IsHeldAboveDevice(block))
        {
            Read(block, buffer);
            return;
        }

        if (_cache.TryRead(block, buffer))
        {
            return;
        }

        using var run = SpanOwner<byte>.Allocate(count * BlockSize);
        _device.Read(first * BlockSize, run.Span);
        for (int i = 0; i < count; i++)
        {
            long b = first + i;
            var data = run.Span.Slice(i * BlockSize, BlockSize);
            if (b == block)
            {
                data.CopyTo(buffer);
                _cache.Put(b, data);
            }
            else if (!IsHeldAboveDevice(b) && !_cache.Contains(b))
            {
                // Only blocks whose newest contents are the device's may be cached from it.
                _cache.Put(b, data);
            }
        }
    }

    private bool IsHeldAboveDevice(long block) =>
        _running.ContainsKey(block) || _finished.ContainsKey(block) || _committing.ContainsKey(block) || (_journal?.HoldsCopy(block) ?? false);

    public void Write(long block, ReadOnlySpan<byte> buffer)
    {
        if (_running.TryGetValue(block, out var copy))
        {
            buffer[..BlockSize].CopyTo(copy);
        }
        else
        {
            copy = _free.TryPop(out var reused) ? reused : new byte[BlockSize];
            buffer[..BlockSize].CopyTo(copy);
            _running[block] = copy;
        }
    }

    /// <summary>
    /// Closes the running operation as a transaction. Of the blocks it freed, those with journaled or pending
    /// copies are revoked, so that no replay writes stale metadata over what they hold next.
    /// </summary>
    /// <exception cref="IOException">The operation is larger than one journal transaction can be; the caller aborts it.</exception>
    public void FinishOperation(IReadOnlyCollection<long> freed)
    {
        var revoked = freed.Count == 0 ? NoBlocks : freed.Where(IsHeldAboveDevice).ToHashSet();
        if (!Journal.Fits(_running.Count, revoked.Count))
        {
            throw new VexFsException(VexErrorKind.NoSpace, $"The operation changes {_running.Count} metadata blocks, more than the journal holds in one transaction ({Journal.MaxTransactionBlocks}); nothing was changed. A larger journal (mkfs.vexfs -J size=) allows larger operations.");
        }
        foreach (long block in freed)
        {
            _cache.Remove(block);
        }

        foreach (long block in revoked)
        {
            if (_running.Remove(block, out var unused))
            {
                Release(unused);
            }

            // The compounder releases the finished copy unless a sealed compound still holds it; a copy on its
            // way to the journal goes back when that commit is published.
            _finished.Remove(block);
            _committing.Remove(block);
        }

        if (_running.Count == 0 && revoked.Count == 0)
        {
            return;
        }

        _pending.Add(_running, revoked, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000);
        foreach (var (block, data) in _running)
        {
            _finished[block] = data;
        }

        _running.Clear();
        Volatile.Write(ref _finishedOperations, _finishedOperations + 1);
    }

    private JournalWriter Journal => _journal ?? throw new NotSupportedException("The filesystem is open read-only.");

    /// <summary>Whether the running operation has changed a block (kept as a copy until it finishes or aborts).</summary>
    public bool HasRunningChanges => _running.Count > 0;

    /// <summary>Forgets the running operation's writes.</summary>
    public void AbortOperation()
    {
        foreach (var copy in _running.Values)
        {
            Release(copy);
        }

        _running.Clear();
    }

    /// <summary>Commits every finished operation to the journal, durably, here and now.</summary>
    public void Commit()
    {
        if (Seal() is { } commit)
        {
            Write(commit);
            Publish(commit);
        }
    }

    /// <summary>
    /// Takes every finished operation for one commit and gives it its place in the journal (checkpointing
    /// first when the journal is too full); its blocks stay readable here until <see cref="Publish"/>. Null
    /// when nothing waits, or when the lot is larger than the journal and was committed in runs right away.
    /// </summary>
    public SealedCommit? Seal()
    {
        if (_pending.Operations == 0)
        {
            return null;
        }

        var transactions = _pending.TakeAll();
        foreach (var (block, data) in _finished)
        {
            _committing[block] = data;
        }

        _finished.Clear();
        var commit = new SealedCommit(transactions, _finishedOperations, Journal.Place(transactions));
        if (commit.Placed is null)
        {
            Journal.CommitAll(commit.Transactions);
            Publish(commit);
            return null;
        }

        return commit;
    }

    /// <summary>Writes a sealed commit to the journal with its two barriers; needs no lock, only that commits go one at a time.</summary>
    public void Write(SealedCommit commit) => Journal.Write(commit.Placed!);

    /// <summary>Makes a written commit the journal's: its blocks move to the block cache and its copies are free again.</summary>
    public void Publish(SealedCommit commit)
    {
        if (commit.Placed is { } placed)
        {
            Journal.Complete(placed);
        }

        foreach (var (block, data) in _committing)
        {
            if (!_finished.ContainsKey(block))
            {
                _cache.Put(block, data);
            }
        }

        _committing.Clear();
        // The journal keeps its own copies until the checkpoint; every copy committed is free again.
        foreach (var transaction in commit.Transactions)
        {
            foreach (var block in transaction.Blocks)
            {
                if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(block.Data, out var segment))
                {
                    Release(segment.Array!);
                }
            }
        }

        Volatile.Write(ref _durableOperations, commit.UpTo);
    }

    private void Release(byte[] copy)
    {
        if (_free.Count < MaxFreeCopies)
        {
            _free.Push(copy);
        }
    }
}
