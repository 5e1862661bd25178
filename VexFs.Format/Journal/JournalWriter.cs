using VexFs.BlockDevices;

namespace VexFs.Format.Journal;

/// <summary>A block a transaction changes: its home location and its new contents.</summary>
internal readonly record struct JournaledBlock(long Home, ReadOnlyMemory<byte> Data);

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
    /// Commits one transaction durably: when this returns, a crash leaves either all of it or (were it to come
    /// before) none of it. Revoked blocks are freed blocks whose older journaled copies must not be replayed.
    /// </summary>
    public void Commit(IReadOnlyList<JournaledBlock> blocks, IReadOnlyCollection<long> revoked, long timeNs)
    {
        int tagCapacity = JournalRecord.TagCapacity(_blockSize);
        int revokeCapacity = JournalRecord.RevokeCapacity(_blockSize);
        int descriptors = (blocks.Count + tagCapacity - 1) / tagCapacity;
        int revokes = (revoked.Count + revokeCapacity - 1) / revokeCapacity;
        long needed = descriptors + blocks.Count + revokes + 1;
        if (needed > _blocks - 1)
        {
            throw new IOException($"A transaction of {blocks.Count} blocks does not fit a journal of {_blocks} blocks.");
        }

        if (needed > _blocks - 1 - _used)
        {
            Checkpoint();
        }

        var staged = new byte[(needed - 1) * _blockSize];
        int at = 0;
        uint running = 0;
        var revokedList = revoked.ToList();
        for (int r = 0; r < revokes; r++)
        {
            var record = new JournalRecord(JournalRecordType.Revoke, _sequence) { Revoked = revokedList.GetRange(r * revokeCapacity, Math.Min(revokeCapacity, revokedList.Count - (r * revokeCapacity))) };
            running = RecoveryPlanner.Fold(running, record.Write(Slot(staged, at++), _seed));
        }

        for (int d = 0; d < descriptors; d++)
        {
            int first = d * tagCapacity;
            int count = Math.Min(tagCapacity, blocks.Count - first);
            var tags = new JournalTag[count];
            for (int i = 0; i < count; i++)
            {
                var block = blocks[first + i];
                if (block.Home < 0 || block.Home >= _homeBlockCount || block.Data.Length != _blockSize)
                {
                    throw new ArgumentException($"Block {block.Home} of {block.Data.Length} bytes cannot be journaled.", nameof(blocks));
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

        long position = WriteRun(staged, _head, at);
        _device.Flush();

        var commit = new byte[_blockSize];
        new JournalRecord(JournalRecordType.Commit, _sequence) { TransactionBlocks = (int)needed, CommitTimeNs = timeNs, TransactionChecksum = running }.Write(commit, _seed);
        _device.Write((_start + position) * _blockSize, commit);
        _device.Flush();

        foreach (long home in revoked)
        {
            _unCheckpointed.Remove(home);
        }

        foreach (var block in blocks)
        {
            _unCheckpointed[block.Home] = block.Data.ToArray();
        }

        _head = RecoveryPlanner.Next(position, _blocks);
        _used += needed;
        _sequence++;
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
