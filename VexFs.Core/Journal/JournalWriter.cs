using System.Buffers;
using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Journal;

namespace VexFs.Core.Journal;

/// <summary>
/// Writes transactions to the journal and checkpoints them home. A commit writes the descriptors, data
/// blocks and revokes, flushes, then writes the commit record and flushes again: an intact commit therefore
/// always follows intact blocks, which is what lets replay call damage before a commit corruption.
/// </summary>
internal sealed class JournalWriter
{
    private readonly BlockDevice _device;
    private readonly JournalArea _area;
    private readonly long _blocks;
    private readonly int _blockSize;
    private readonly Dictionary<long, byte[]> _unCheckpointed = [];
    private ulong _sequence;
    private long _head;
    private long _used;
    private long _commits;
    private long _transactions;
    private long _journaledBytes;
    private long _checkpoints;

    private JournalWriter(BlockDevice device, JournalArea area, ulong sequence, long head)
    {
        _device = device;
        _area = area;
        _blocks = area.Blocks;
        _blockSize = area.BlockSize;
        _sequence = sequence;
        _head = head;
    }

    /// <summary>Commits written (each a run of transactions behind two barriers) since this writer was made.</summary>
    public long Commits => Volatile.Read(ref _commits);

    /// <summary>Transactions those commits held.</summary>
    public long Transactions => Volatile.Read(ref _transactions);

    /// <summary>Bytes those commits wrote to the journal: records, block copies and commit records.</summary>
    public long JournaledBytes => Volatile.Read(ref _journaledBytes);

    /// <summary>Checkpoints that wrote committed blocks home.</summary>
    public long Checkpoints => Volatile.Read(ref _checkpoints);

    /// <summary>Called with the bytes of each commit as it completes (for a size histogram).</summary>
    public Action<long>? Committed { get; set; }

    /// <summary>The sequence the next transaction gets.</summary>
    public ulong NextSequence => _sequence;

    /// <summary>Whether committed transactions wait to be checkpointed (the journal needs recovery if a crash came now).</summary>
    public bool HasUncheckpointed => _used > 0;

    /// <summary>The blocks a transaction may journal at most.</summary>
    public int MaxTransactionBlocks => TransactionRecords.Capacity(_area.Blocks, _area.BlockSize);

    /// <summary>
    /// Replays whatever the journal holds (see <see cref="JournalReplay.Replay"/>) and returns a writer
    /// positioned after it, with the plan it followed.
    /// </summary>
    /// <exception cref="InvalidFileSystemException">The journal header is damaged, or (unless dropping) a committed transaction.</exception>
    public static (JournalWriter Writer, RecoveryPlan Plan) Recover(BlockDevice device, JournalArea area, bool dropDamaged = false)
    {
        var plan = JournalReplay.Replay(device, area, dropDamaged);
        return (new JournalWriter(device, area, plan.NextSequence, plan.NextStart), plan);
    }

    /// <summary>
    /// Commits one transaction durably: when this returns, a crash leaves all of it; a crash before leaves
    /// all or none. Revoked blocks are freed blocks whose older journaled copies must not be replayed.
    /// </summary>
    public void Commit(IReadOnlyList<JournaledBlock> blocks, IReadOnlyCollection<long> revoked, long timeNs) =>
        CommitAll([new JournalTransaction(blocks, revoked, timeNs)]);

    /// <summary>
    /// Commits several transactions, in order, with two barriers for each run of them the journal has room
    /// for (checkpointing between runs): their records and data, a flush, their commit records, a flush. A
    /// crash keeps a prefix of them.
    /// </summary>
    public void CommitAll(IReadOnlyList<JournalTransaction> transactions)
    {
        var batch = new List<JournalTransaction>();
        long batchBlocks = 0;
        foreach (var transaction in transactions)
        {
            long needed = Needed(transaction);
            if (needed > _blocks - 1)
            {
                throw new IOException($"A transaction of {transaction.Blocks.Count} blocks does not fit a journal of {_blocks} blocks.");
            }

            if (batchBlocks + needed > _blocks - 1 - _used)
            {
                CommitRun(batch);
                batch.Clear();
                batchBlocks = 0;
            }

            batch.Add(transaction);
            batchBlocks += needed;
        }

        CommitRun(batch);
    }

    /// <summary>Commits a run of transactions that fits the journal (once checkpointed) with two barriers.</summary>
    private void CommitRun(List<JournalTransaction> run)
    {
        if (run.Count == 0)
        {
            return;
        }

        var commit = Place(run) ?? throw new InvalidOperationException($"A run of {run.Count} transactions was formed larger than the journal.");
        Write(commit);
        Complete(commit);
    }

    /// <summary>
    /// Gives <paramref name="transactions"/> their places and sequences in the journal, checkpointing first
    /// when the free part is too small; null when they do not fit even an empty journal (commit them with
    /// <see cref="CommitAll"/>). Then <see cref="Write"/> writes them, which touches nothing else and may run
    /// while others read through <see cref="TryRead"/>, and <see cref="Complete"/> makes their copies the
    /// journal's. One placed commit at a time; no other member runs between this and <see cref="Complete"/>
    /// but <see cref="TryRead"/>, <see cref="HoldsCopy"/> and <see cref="Fits"/>.
    /// </summary>
    public JournalCommit? Place(IReadOnlyList<JournalTransaction> transactions)
    {
        long total = 0;
        foreach (var transaction in transactions)
        {
            total += Needed(transaction);
        }

        if (transactions.Count == 0 || total > _blocks - 1)
        {
            return null;
        }

        if (total > _blocks - 1 - _used)
        {
            Checkpoint();
        }

        var placed = new List<PlacedTransaction>(transactions.Count);
        foreach (var transaction in transactions)
        {
            long needed = Needed(transaction);
            long commitPosition = Advance(_head, (int)(needed - 1));
            placed.Add(new PlacedTransaction(transaction, needed, _head, commitPosition, _sequence));
            _head = RecoveryPlanner.Next(commitPosition, _blocks);
            _used += needed;
            _sequence++;
        }

        return new JournalCommit(placed);
    }

    /// <summary>Writes a placed commit: every transaction's records and data, a flush, the commit records, a flush.</summary>
    public void Write(JournalCommit commit)
    {
        var placed = commit.Transactions;
        byte[] records = ArrayPool<byte>.Shared.Rent(placed.Count * _blockSize);
        try
        {
            for (int i = 0; i < placed.Count; i++)
            {
                var t = placed[i];
                int length = (int)(t.Needed - 1) * _blockSize;
                byte[] staged = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    uint running = TransactionRecords.Stage(t.Transaction, t.Sequence, staged, _blockSize, _area.Seed, _area.HomeBlockCount);
                    WriteRun(staged, t.Start, (int)(t.Needed - 1));
                    TransactionRecords.WriteCommit(Slot(records, i), t.Transaction, t.Sequence, t.Needed, running, _area.Seed);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(staged);
                }
            }

            _device.Flush();
            for (int i = 0; i < placed.Count; i++)
            {
                _device.Write(_area.Offset(placed[i].CommitPosition), Slot(records, i));
            }

            _device.Flush();
            long bytes = placed.Sum(t => t.Needed) * _blockSize;
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _transactions, placed.Count);
            Interlocked.Add(ref _journaledBytes, bytes);
            Committed?.Invoke(bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(records);
        }
    }

    /// <summary>
    /// Makes a written commit's blocks the journal's newest copies. Only now that they are committed do the
    /// revokes drop older copies: a checkpoint before this point must still write them home, since a crash
    /// would bring back the state that needs them.
    /// </summary>
    public void Complete(JournalCommit commit)
    {
        foreach (var t in commit.Transactions)
        {
            foreach (long home in t.Transaction.Revoked)
            {
                _unCheckpointed.Remove(home);
            }

            foreach (var block in t.Transaction.Blocks)
            {
                if (_unCheckpointed.TryGetValue(block.Home, out var copy))
                {
                    block.Data.Span.CopyTo(copy);
                }
                else
                {
                    _unCheckpointed[block.Home] = block.Data.ToArray();
                }
            }
        }
    }

    /// <summary>Reads the newest committed copy of <paramref name="home"/> that is not yet checkpointed.</summary>
    public bool TryRead(long home, Span<byte> buffer)
    {
        if (!_unCheckpointed.TryGetValue(home, out var data))
        {
            return false;
        }

        data.CopyTo(buffer);
        return true;
    }

    /// <summary>Whether the journal holds a not-yet-checkpointed copy of <paramref name="home"/>.</summary>
    public bool HoldsCopy(long home) => _unCheckpointed.ContainsKey(home);

    /// <summary>Whether a transaction of <paramref name="blocks"/> blocks and <paramref name="revoked"/> revokes fits the journal.</summary>
    public bool Fits(int blocks, int revoked) => Needed(blocks, revoked) <= _blocks - 1;

    private long Needed(JournalTransaction transaction) => Needed(transaction.Blocks.Count, transaction.Revoked.Count);

    private long Needed(int blocks, int revoked) => TransactionRecords.Needed(blocks, revoked, _blockSize);

    /// <summary>Writes every committed block home, flushes, and frees the journal space they took.</summary>
    public void Checkpoint()
    {
        if (_used == 0)
        {
            return;
        }

        foreach (var (home, data) in _unCheckpointed.OrderBy(kv => kv.Key))
        {
            _device.Write(home * _blockSize, data);
        }

        _device.Flush();
        _unCheckpointed.Clear();
        _used = 0;
        WriteHeader();
        Interlocked.Increment(ref _checkpoints);
    }

    private void WriteHeader() => JournalReplay.WriteHeader(_device, _area, _sequence, _head);

    private Span<byte> Slot(byte[] staged, int index) => staged.AsSpan(index * _blockSize, _blockSize);

    /// <summary>The position <paramref name="count"/> blocks after <paramref name="position"/>, in the runs <see cref="WriteRun"/> writes.</summary>
    private long Advance(long position, int count)
    {
        while (count > 0)
        {
            int run = RunFrom(position, count);
            count -= run;
            position = After(position, run);
        }

        return position;
    }

    /// <summary>How many of <paramref name="count"/> blocks fit from <paramref name="position"/> to the end of the journal.</summary>
    private int RunFrom(long position, int count) => (int)Math.Min(count, _blocks - position);

    /// <summary>The position after a run of <paramref name="run"/> blocks at <paramref name="position"/>: the log wraps past the header block.</summary>
    private long After(long position, int run) => position + run < _blocks ? position + run : 1;

    /// <summary>Writes <paramref name="count"/> staged blocks from <paramref name="position"/> on, in at most two runs.</summary>
    private void WriteRun(byte[] staged, long position, int count)
    {
        int done = 0;
        while (done < count)
        {
            int run = RunFrom(position, count - done);
            _device.Write(_area.Offset(position), staged.AsSpan(done * _blockSize, run * _blockSize));
            done += run;
            position = After(position, run);
        }
    }
}
