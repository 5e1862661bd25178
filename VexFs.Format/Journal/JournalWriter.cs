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
    public static (JournalWriter Writer, RecoveryPlan Plan) Recover(BlockDevice device, long start, long blocks, int blockSize, uint seed, Guid uuid, long homeBlockCount)
    {
        var buffer = new byte[blockSize];
        device.Read(start * blockSize, buffer);
        var header = JournalHeader.Read(buffer, start, seed, blocks, uuid);
        var plan = RecoveryPlanner.Plan(header, (relative, b) => device.Read((start + relative) * blockSize, b), seed, homeBlockCount);
        foreach (var (home, journalBlock) in plan.Writes)
        {
            device.Read((start + journalBlock) * blockSize, buffer);
            device.Write(home * blockSize, buffer);
        }

        var writer = new JournalWriter(device, start, blocks, blockSize, seed, uuid, homeBlockCount, plan.NextSequence, plan.NextStart);
        if (plan.Writes.Count > 0 || plan.Transactions > 0)
        {
            device.Flush();
            writer.WriteHeader();
        }

        return (writer, plan);
    }

    /// <summary>
    /// Commits one transaction durably: when this returns, a crash leaves all of it; a crash before leaves
    /// all or none. Revoked blocks are freed blocks whose older journaled copies must not be replayed.
    /// </summary>
    public void Commit(IReadOnlyList<JournaledBlock> blocks, IReadOnlyCollection<long> revoked, long timeNs) =>
        CommitAll([new JournalTransaction(blocks, revoked, timeNs)]);

    /// <summary>
    /// Commits several transactions, in order, with two barriers for the lot: their records and data, a flush,
    /// their commit records, a flush. A crash keeps a prefix of them.
    /// </summary>
    public void CommitAll(IReadOnlyList<JournalTransaction> transactions)
    {
        var batch = new List<(JournalTransaction Transaction, long Needed)>();
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
                WriteBatch(batch);
                batch.Clear();
                batchBlocks = 0;
                if (needed > _blocks - 1 - _used)
                {
                    Checkpoint();
                }
            }

            batch.Add((transaction, needed));
            batchBlocks += needed;
        }

        WriteBatch(batch);
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

    private void WriteBatch(List<(JournalTransaction Transaction, long Needed)> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var commits = new List<(long Position, byte[] Record)>();
        foreach (var (transaction, needed) in batch)
        {
            var staged = new byte[(needed - 1) * _blockSize];
            uint running = Stage(transaction, staged);
            long position = WriteRun(staged, _head, (int)(needed - 1));
            var commit = new byte[_blockSize];
            new JournalRecord(JournalRecordType.Commit, _sequence) { TransactionBlocks = (int)needed, CommitTimeNs = transaction.TimeNs, TransactionChecksum = running }.Write(commit, _seed);
            commits.Add((position, commit));
            _head = RecoveryPlanner.Next(position, _blocks);
            _used += needed;
            _sequence++;
        }

        _device.Flush();
        foreach (var (position, record) in commits)
        {
            _device.Write((_start + position) * _blockSize, record);
        }

        _device.Flush();
        // Only now that they are committed do the revokes drop older copies: a checkpoint before this point
        // must still write them home, since a crash would bring back the state that needs them.
        foreach (var (transaction, _) in batch)
        {
            foreach (long home in transaction.Revoked)
            {
                _unCheckpointed.Remove(home);
            }

            foreach (var block in transaction.Blocks)
            {
                _unCheckpointed[block.Home] = block.Data.ToArray();
            }
        }
    }

    /// <summary>Lays out a transaction's revoke records, descriptors and data blocks; returns its running checksum.</summary>
    private uint Stage(JournalTransaction transaction, byte[] staged)
    {
        int tagCapacity = JournalRecord.TagCapacity(_blockSize);
        int revokeCapacity = JournalRecord.RevokeCapacity(_blockSize);
        var blocks = transaction.Blocks;
        var revoked = transaction.Revoked.ToList();
        int at = 0;
        uint running = 0;
        for (int r = 0; r < revoked.Count; r += revokeCapacity)
        {
            var record = new JournalRecord(JournalRecordType.Revoke, _sequence) { Revoked = revoked.GetRange(r, Math.Min(revokeCapacity, revoked.Count - r)) };
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

                tags[i] = new JournalTag(block.Home, JournalRecord.DataChecksum(block.Data.Span, _sequence, block.Home, _seed));
            }

            running = RecoveryPlanner.Fold(running, new JournalRecord(JournalRecordType.Descriptor, _sequence) { Tags = tags }.Write(Slot(staged, at++), _seed));
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

    /// <summary>Writes <paramref name="count"/> staged blocks from <paramref name="position"/> on, in at most two runs; returns the position after them.</summary>
    private long WriteRun(byte[] staged, long position, int count)
    {
        int done = 0;
        while (done < count)
        {
            int run = (int)Math.Min(count - done, _blocks - position);
            _device.Write((_start + position) * _blockSize, staged.AsSpan(done * _blockSize, run * _blockSize));
            done += run;
            position = position + run < _blocks ? position + run : 1;
        }

        return position;
    }
}
