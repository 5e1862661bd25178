using System.Buffers;
using VexFs.BlockDevices;

namespace VexFs.Format.Journal;

/// <summary>A block a transaction changes: its home location and its new contents.</summary>
internal readonly record struct JournaledBlock(long Home, ReadOnlyMemory<byte> Data);

/// <summary>One transaction: the blocks it changes and the freed blocks whose older copies it revokes.</summary>
internal sealed record JournalTransaction(IReadOnlyList<JournaledBlock> Blocks, IReadOnlyCollection<long> Revoked, long TimeNs);

/// <summary>
/// Writes transactions to the journal and checkpoints them home. A commit writes the descriptors, data
/// blocks and revokes, flushes, then writes the commit record and flushes again: an intact commit therefore
/// always follows intact blocks, which is what lets replay call damage before a commit corruption.
/// </summary>
internal sealed class JournalWriter
{
    private readonly BlockDevice _device;
    private readonly long _start;
    private readonly long _blocks;
    private readonly int _blockSize;
    private readonly uint _seed;
    private readonly Guid _uuid;
    private readonly long _homeBlockCount;
    private readonly Dictionary<long, byte[]> _unCheckpointed = [];
    private ulong _sequence;
    private long _head;
    private long _used;

    private JournalWriter(BlockDevice device, long start, long blocks, int blockSize, uint seed, Guid uuid, long homeBlockCount, ulong sequence, long head)
    {
        _device = device;
        _start = start;
        _blocks = blocks;
        _blockSize = blockSize;
        _seed = seed;
        _uuid = uuid;
        _homeBlockCount = homeBlockCount;
        _sequence = sequence;
        _head = head;
    }

    /// <summary>The sequence the next transaction gets.</summary>
    public ulong NextSequence => _sequence;

    /// <summary>Whether committed transactions wait to be checkpointed (the journal needs recovery if a crash came now).</summary>
    public bool HasUncheckpointed => _used > 0;

    /// <summary>The blocks a transaction may journal at most.</summary>
    public int MaxTransactionBlocks
    {
        get
        {
            long room = _blocks - 1;
            long perDescriptor = JournalRecord.TagCapacity(_blockSize) + 1;
            return (int)Math.Max(0, (room - 1) * (perDescriptor - 1) / perDescriptor);
        }
    }

    /// <summary>
    /// Replays whatever the journal holds onto the home blocks (flushing them), resets the journal, and returns
    /// a writer positioned after it, with how many transactions were replayed.
    /// </summary>
    /// <remarks>
    /// When a committed transaction does not verify, <c>dropDamaged</c> false refuses before writing anything;
    /// true (fsck's choice, which then checks everything) replays the transactions before it and drops it and
    /// the rest.
    /// </remarks>
    /// <exception cref="InvalidFileSystemException">The journal header is damaged, or (unless dropping) a committed transaction.</exception>
    public static (JournalWriter Writer, RecoveryPlan Plan) Recover(BlockDevice device, long start, long blocks, int blockSize, uint seed, Guid uuid, long homeBlockCount, bool dropDamaged = false)
    {
        var plan = PlanRecovery(device, start, blocks, blockSize, seed, uuid, homeBlockCount);
        if (plan.Damage is not null && !dropDamaged)
        {
            throw new InvalidFileSystemException($"The journal is damaged ({plan.Damage}); nothing was written. fsck.vexfs -y replays the {plan.Transactions} transactions before the damage, drops the rest and checks the filesystem.");
        }

        var buffer = new byte[blockSize];
        foreach (var (home, journalBlock) in plan.Writes)
        {
            device.Read((start + journalBlock) * blockSize, buffer);
            device.Write(home * blockSize, buffer);
        }

        var writer = new JournalWriter(device, start, blocks, blockSize, seed, uuid, homeBlockCount, plan.NextSequence, plan.NextStart);
        if (plan.Writes.Count > 0 || plan.Transactions > 0 || plan.Damage is not null)
        {
            device.Flush();
            writer.WriteHeader();
        }

        return (writer, plan);
    }

    /// <summary>Plans a replay of the journal on <paramref name="device"/> without writing anything.</summary>
    /// <exception cref="InvalidFileSystemException">The journal header is damaged.</exception>
    public static RecoveryPlan PlanRecovery(BlockDevice device, long start, long blocks, int blockSize, uint seed, Guid uuid, long homeBlockCount)
    {
        var buffer = new byte[blockSize];
        device.Read(start * blockSize, buffer);
        var header = JournalHeader.Read(buffer, start, seed, blocks, uuid);
        return RecoveryPlanner.Plan(header, (relative, b) => device.Read((start + relative) * blockSize, b), seed, homeBlockCount);
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
                    uint running = Stage(t.Transaction, t.Sequence, staged);
                    WriteRun(staged, t.Start, (int)(t.Needed - 1));
                    new JournalRecord(JournalRecordType.Commit, t.Sequence) { TransactionBlocks = (int)t.Needed, CommitTimeNs = t.Transaction.TimeNs, TransactionChecksum = running }
                        .Write(Slot(records, i), _seed);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(staged);
                }
            }

            _device.Flush();
            for (int i = 0; i < placed.Count; i++)
            {
                _device.Write((_start + placed[i].CommitPosition) * _blockSize, Slot(records, i));
            }

            _device.Flush();
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

    private long Needed(int blocks, int revoked)
    {
        int tagCapacity = JournalRecord.TagCapacity(_blockSize);
        int revokeCapacity = JournalRecord.RevokeCapacity(_blockSize);
        return ((blocks + tagCapacity - 1) / tagCapacity) + blocks + ((revoked + revokeCapacity - 1) / revokeCapacity) + 1;
    }

    /// <summary>Lays out a transaction's revoke records, descriptors and data blocks; returns its running checksum.</summary>
    private uint Stage(JournalTransaction transaction, ulong sequence, byte[] staged)
    {
        int tagCapacity = JournalRecord.TagCapacity(_blockSize);
        int revokeCapacity = JournalRecord.RevokeCapacity(_blockSize);
        var blocks = transaction.Blocks;
        var revoked = transaction.Revoked.ToList();
        int at = 0;
        uint running = 0;
        for (int r = 0; r < revoked.Count; r += revokeCapacity)
        {
            var record = new JournalRecord(JournalRecordType.Revoke, sequence) { Revoked = revoked.GetRange(r, Math.Min(revokeCapacity, revoked.Count - r)) };
            running = RecoveryPlanner.Fold(running, record.Write(Slot(staged, at++), _seed));
        }

        for (int first = 0; first < blocks.Count; first += tagCapacity)
        {
            int count = Math.Min(tagCapacity, blocks.Count - first);
            var tags = new JournalTag[count];
            for (int i = 0; i < count; i++)
            {
                var block = blocks[first + i];
                if (block.Home < 0 || block.Home >= _homeBlockCount || block.Data.Length != _blockSize)
                {
                    throw new ArgumentException($"Block {block.Home} of {block.Data.Length} bytes cannot be journaled.", nameof(transaction));
                }

                tags[i] = new JournalTag(block.Home, JournalRecord.DataChecksum(block.Data.Span, sequence, block.Home, _seed));
            }

            running = RecoveryPlanner.Fold(running, new JournalRecord(JournalRecordType.Descriptor, sequence) { Tags = tags }.Write(Slot(staged, at++), _seed));
            for (int i = 0; i < count; i++)
            {
                blocks[first + i].Data.Span.CopyTo(Slot(staged, at++));
                running = RecoveryPlanner.Fold(running, tags[i].DataChecksum);
            }
        }

        return running;
    }

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
    }

    private void WriteHeader()
    {
        var header = new byte[_blockSize];
        new JournalHeader(_sequence, _head, _blocks, _blockSize, _uuid).Write(header, _start, _seed);
        _device.Write(_start * _blockSize, header);
        _device.Flush();
    }

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
            _device.Write((_start + position) * _blockSize, staged.AsSpan(done * _blockSize, run * _blockSize));
            done += run;
            position = After(position, run);
        }
    }
}
