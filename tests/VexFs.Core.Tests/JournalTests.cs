using System.Buffers.Binary;
using VexFs.BlockDevices;
using VexFs.Core.Journal;
using VexFs.Format;
using VexFs.Format.Journal;

namespace VexFs.Core.Tests;

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
        var journal = new TestJournal(64);
        journal.Transaction((100, 1), (200, 2));
        journal.Transaction((100, 3));
        var plan = journal.Plan();
        Assert.Equal(2, plan.Transactions);
        Assert.False(plan.DiscardedTail);
        Assert.Equal(3ul, plan.NextSequence);
        Assert.Equal(new (long, byte)[] { (200, 2), (100, 3) }, plan.Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
    }

    [Fact]
    public void An_uncommitted_tail_is_discarded()
    {
        var journal = new TestJournal(64);
        journal.Transaction((100, 1));
        journal.Transaction((300, 4));
        journal.Damage(journal.LastCommit);
        var plan = journal.Plan();
        Assert.Equal(1, plan.Transactions);
        Assert.True(plan.DiscardedTail);
        Assert.Equal([100L], plan.Writes.Select(w => w.Home));
    }

    [Fact]
    public void A_torn_data_block_in_an_uncommitted_transaction_ends_the_log()
    {
        var journal = new TestJournal(64);
        journal.Transaction((100, 1));
        journal.Transaction((300, 4), (301, 5));
        journal.Damage(journal.LastCommit - 1);
        journal.Damage(journal.LastCommit);
        Assert.Equal([100L], journal.Plan().Writes.Select(w => w.Home));
    }

    [Fact]
    public void Damage_before_a_valid_commit_is_corruption_that_ends_the_replay_there()
    {
        var journal = new TestJournal(64);
        journal.Transaction((100, 1));
        journal.Transaction((100, 2), (101, 2));
        journal.Transaction((102, 3));
        journal.Damage(journal.LastCommit - 1);
        var plan = journal.Plan();
        Assert.Contains("journal transaction 3", plan.Damage);
        Assert.Equal(2, plan.Transactions);
        Assert.Equal(new (long, byte)[] { (100, 2), (101, 2) }, plan.Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))).Order());

        // Opening refuses it and writes nothing; recovery that drops the damage replays what verifies, and the
        // journal it leaves never brings the dropped transaction back.
        Assert.Throws<InvalidFileSystemException>(() => journal.Recover());
        Assert.Equal(0, journal.Home(100));
        var (_, recovered) = journal.Recover(dropDamaged: true);
        Assert.Equal(2, recovered.Transactions);
        Assert.Equal((2, 2, 0), (journal.Home(100), journal.Home(101), journal.Home(102)));
        var after = journal.Plan();
        Assert.Null(after.Damage);
        Assert.Equal(0, after.Transactions);
        Assert.True(after.NextSequence >= 3 + 64, $"next sequence {after.NextSequence}");
    }

    [Fact]
    public void A_revoke_cancels_earlier_copies_but_not_later_ones()
    {
        var journal = new TestJournal(64);
        journal.Transaction((100, 1), (101, 2));
        journal.Revoke(100);
        journal.Transaction((101, 3));
        Assert.Equal(new (long, byte)[] { (101, 3) }, journal.Plan().Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
        journal.Transaction((100, 9));
        Assert.Contains(((long)100, (byte)9), journal.Plan().Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
    }

    [Fact]
    public void The_log_wraps_past_the_header_and_checkpoints_make_room()
    {
        var journal = new TestJournal(8);
        for (byte i = 1; i <= 5; i++)
        {
            journal.Transaction((100, i), (200, (byte)(i + 100)));
        }

        var plan = journal.Plan();
        Assert.Equal(new (long, byte)[] { (100, 5), (200, 105) }, plan.Writes.Select(w => (w.Home, journal.Fill(w.JournalBlock))));
        Assert.Equal(6ul, plan.NextSequence);
        Assert.Equal(4, journal.Home(100));
    }

    [Fact]
    public void Recovery_replays_onto_the_home_blocks_and_resets_the_journal()
    {
        var journal = new TestJournal(64);
        journal.Transaction((100, 7), (101, 8));
        var (writer, plan) = journal.Recover();
        Assert.Equal(1, plan.Transactions);
        Assert.Equal(7, journal.Home(100));
        Assert.Equal(8, journal.Home(101));
        Assert.False(writer.HasUncheckpointed);
        Assert.Equal(0, journal.Recover().Plan.Transactions);
    }

    /// <summary>A journal at blocks 10-(10+n) of a memory device, written by the real writer and damaged by hand.</summary>
    private sealed class TestJournal
    {
        private const long Start = 10;
        private readonly MemoryBlockDevice _device = new(1 << 24);
        private readonly long _blocks;
        private JournalWriter _writer;

        public TestJournal(long blocks)
        {
            _blocks = blocks;
            var header = new byte[BlockSize];
            new JournalHeader(1, 1, blocks, BlockSize, Uuid).Write(header, Start, Seed);
            _device.Write(Start * BlockSize, header);
            _writer = JournalWriter.Recover(_device, new JournalArea(Start, blocks, BlockSize, Seed, Uuid, Homes)).Writer;
        }

        public long LastCommit { get; private set; }

        public void Transaction(params (long Home, byte Fill)[] writes)
        {
            _writer.Commit(writes.Select(w => new JournaledBlock(w.Home, Enumerable.Repeat(w.Fill, BlockSize).ToArray())).ToList(), [], 0);
            LastCommit = FindLastCommit();
        }

        public void Revoke(long home)
        {
            _writer.Commit([], [home], 0);
            LastCommit = FindLastCommit();
        }

        public void Damage(long relative)
        {
            var block = new byte[BlockSize];
            _device.Read((Start + relative) * BlockSize, block);
            block[BlockSize / 2] ^= 0xFF;
            _device.Write((Start + relative) * BlockSize, block);
        }

        public byte Fill(long relative) => Read(Start + relative)[0];

        public byte Home(long block) => Read(block)[0];

        public RecoveryPlan Plan()
        {
            var header = JournalHeader.Read(Read(Start), Start, Seed, _blocks, Uuid);
            return RecoveryPlanner.Plan(header, (relative, buffer) => _device.Read((Start + relative) * BlockSize, buffer), Seed, Homes);
        }

        public (JournalWriter Writer, RecoveryPlan Plan) Recover(bool dropDamaged = false)
        {
            var result = JournalWriter.Recover(_device, new JournalArea(Start, _blocks, BlockSize, Seed, Uuid, Homes), dropDamaged);
            _writer = result.Writer;
            return result;
        }

        private long FindLastCommit()
        {
            long last = -1;
            ulong best = 0;
            for (long r = 1; r < _blocks; r++)
            {
                var record = JournalRecord.TryRead(Read(Start + r), Seed, Homes, out _);
                if (record is { Type: JournalRecordType.Commit } && record.Sequence >= best)
                {
                    best = record.Sequence;
                    last = r;
                }
            }

            return last;
        }

        private byte[] Read(long block)
        {
            var buffer = new byte[BlockSize];
            _device.Read(block * BlockSize, buffer);
            return buffer;
        }
    }
}
