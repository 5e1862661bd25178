using System.Buffers.Binary;
using VexFs.Format.Journal;

namespace VexFs.Format.Tests;

/// <summary>Journal records and the replay rules, on journals built block by block.</summary>
public sealed class JournalTests
{
    private const int BlockSize = 1024;
    private const uint Seed = 0x5EED;
    private const long Homes = 10_000;
    private static readonly Guid Uuid = Guid.Parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");

    [Fact]
    public void Header_layout()
    {
        var header = new JournalHeader(7, 3, 64, BlockSize, Uuid);
        var b = new byte[BlockSize];
        header.Write(b, 500, Seed);
        Assert.Equal(JournalHeader.Magic, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(7ul, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x08)));
        Assert.Equal(3, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10)));
        Assert.Equal(header, JournalHeader.Read(b, 500, Seed, 64, Uuid));
        Assert.Equal("journal header.blocks", Assert.Throws<InvalidFileSystemException>(() => JournalHeader.Read(b, 500, Seed, 65, Uuid)).Field);
        Assert.Throws<InvalidFileSystemException>(() => JournalHeader.Read(b, 501, Seed, 64, Uuid));
    }

    [Fact]
    public void Record_layout_and_checksums()
    {
        var descriptor = new JournalRecord(JournalRecordType.Descriptor, 9) { Tags = [new JournalTag(42, 0xDEADBEEF)] };
        var b = new byte[BlockSize];
        uint checksum = descriptor.Write(b, Seed);
        Assert.Equal(JournalRecord.Magic, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4)));
        Assert.Equal(42, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x20)));
        Assert.Equal(0xDEADBEEFu, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x28)));
        var back = JournalRecord.TryRead(b, Seed, Homes, out uint read);
        Assert.Equal(checksum, read);
        Assert.Equal(descriptor.Tags, back!.Tags);
        b[100] ^= 1;
        Assert.Null(JournalRecord.TryRead(b, Seed, Homes, out _));
        Assert.True(JournalRecord.LooksLikeRecord(b));
        Assert.Null(JournalRecord.TryRead(new byte[BlockSize], Seed, Homes, out _));
    }

    [Fact]
    public void Committed_transactions_replay_and_the_latest_copy_wins()
    {
        var journal = new JournalBuilder(64);
        journal.Transaction(1, (100, 1), (200, 2));
        journal.Transaction(2, (100, 3));
        var plan = journal.Plan();
        Assert.Equal(2, plan.Transactions);
        Assert.False(plan.DiscardedTail);
        Assert.Equal(3ul, plan.NextSequence);
        Assert.Equal(new (long, byte)[] { (200, 2), (100, 3) }, plan.Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
    }

    [Fact]
    public void An_uncommitted_tail_is_discarded()
    {
        var journal = new JournalBuilder(64);
        journal.Transaction(1, (100, 1));
        journal.Transaction(2, (300, 4));
        journal.TearCommit();
        var plan = journal.Plan();
        Assert.Equal(1, plan.Transactions);
        Assert.True(plan.DiscardedTail);
        Assert.Equal([100L], plan.Writes.Select(w => w.Home));
    }

    [Fact]
    public void A_torn_data_block_in_an_uncommitted_transaction_ends_the_log()
    {
        var journal = new JournalBuilder(64);
        journal.Transaction(1, (100, 1));
        journal.Transaction(2, (300, 4), (301, 5));
        journal.DamageDataOfLastTransaction();
        journal.TearCommit();
        Assert.Equal([100L], journal.Plan().Writes.Select(w => w.Home));
    }

    [Fact]
    public void Damage_before_a_valid_commit_is_corruption()
    {
        var journal = new JournalBuilder(64);
        journal.Transaction(1, (100, 1), (101, 2));
        journal.DamageDataOfLastTransaction();
        Assert.Throws<InvalidFileSystemException>(() => journal.Plan());
    }

    [Fact]
    public void A_revoke_cancels_earlier_copies_but_not_later_ones()
    {
        var journal = new JournalBuilder(64);
        journal.Transaction(1, (100, 1), (101, 2));
        journal.Transaction(2, revoke: [100]);
        journal.Transaction(3, (101, 3));
        var plan = journal.Plan();
        Assert.Equal(new (long, byte)[] { (101, 3) }, plan.Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
        journal.Transaction(4, (100, 9));
        Assert.Contains(((long)100, (byte)9), journal.Plan().Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
    }

    [Fact]
    public void The_log_wraps_past_the_header()
    {
        var journal = new JournalBuilder(8, start: 5, sequence: 40);
        journal.Transaction(40, (100, 1), (200, 2));
        var plan = journal.Plan();
        Assert.Equal(1, plan.Transactions);
        Assert.Equal(2, plan.NextStart);
        Assert.Equal(new (long, byte)[] { (100, 1), (200, 2) }, plan.Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
    }

    [Fact]
    public void Stale_records_of_an_older_sequence_end_the_log()
    {
        var journal = new JournalBuilder(64, start: 1, sequence: 5);
        journal.Transaction(5, (100, 1));
        journal.Transaction(3, (999, 7));
        Assert.Equal([100L], journal.Plan().Writes.Select(w => w.Home));
    }

    /// <summary>Writes transactions into an in-memory journal the way the filesystem does.</summary>
    private sealed class JournalBuilder
    {
        private readonly byte[][] _blocks;
        private readonly JournalHeader _header;
        private long _position;
        private long _lastCommit = -1;
        private readonly List<long> _lastData = [];

        public JournalBuilder(long blocks, long start = 1, ulong sequence = 1)
        {
            _blocks = Enumerable.Range(0, (int)blocks).Select(_ => new byte[BlockSize]).ToArray();
            _header = new JournalHeader(sequence, start, blocks, BlockSize, Uuid);
            _position = start;
        }

        public byte Fill(long journalBlock) => _blocks[journalBlock][0];

        public void Transaction(ulong sequence, params (long Home, byte Fill)[] writes) => Transaction(sequence, [], writes);

        public void Transaction(ulong sequence, long[] revoke, params (long Home, byte Fill)[] writes)
        {
            uint running = 0;
            int count = 0;
            _lastData.Clear();
            if (revoke.Length > 0)
            {
                running = RecoveryPlanner.Fold(running, new JournalRecord(JournalRecordType.Revoke, sequence) { Revoked = revoke }.Write(Next(), Seed));
                count++;
            }

            if (writes.Length > 0)
            {
                var data = writes.Select(w => Enumerable.Repeat(w.Fill, BlockSize).ToArray()).ToArray();
                var tags = writes.Select((w, i) => new JournalTag(w.Home, JournalRecord.DataChecksum(data[i], sequence, w.Home, Seed))).ToArray();
                running = RecoveryPlanner.Fold(running, new JournalRecord(JournalRecordType.Descriptor, sequence) { Tags = tags }.Write(Next(), Seed));
                count++;
                for (int i = 0; i < data.Length; i++)
                {
                    _lastData.Add(_position);
                    data[i].CopyTo(Next(), 0);
                    running = RecoveryPlanner.Fold(running, tags[i].DataChecksum);
                    count++;
                }
            }

            _lastCommit = _position;
            new JournalRecord(JournalRecordType.Commit, sequence) { TransactionBlocks = count + 1, TransactionChecksum = running }.Write(Next(), Seed);
        }

        public void TearCommit() => _blocks[_lastCommit][200] ^= 0xFF;

        public void DamageDataOfLastTransaction() => _blocks[_lastData[0]][10] ^= 0xFF;

        public RecoveryPlan Plan() =>
            RecoveryPlanner.Plan(_header, (relative, buffer) => _blocks[relative].CopyTo(buffer), Seed, Homes);

        private byte[] Next()
        {
            var block = _blocks[_position];
            _position = RecoveryPlanner.Next(_position, _blocks.Length);
            return block;
        }
    }
}
