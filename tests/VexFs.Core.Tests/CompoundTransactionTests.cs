using VexFs.Core.Storage;

namespace VexFs.Core.Tests;

public sealed class CompoundTransactionTests
{
    private static Dictionary<long, byte[]> Blocks(params (long Home, byte Value)[] blocks) => blocks.ToDictionary(b => b.Home, b => new[] { b.Value });

    [Fact]
    public void Consecutive_operations_join_and_a_block_is_journaled_once_with_its_newest_contents()
    {
        var compounder = new TransactionCompounder(100);
        compounder.Add(Blocks((5, 1), (7, 1)), [], 1);
        compounder.Add(Blocks((5, 2)), [], 2);
        compounder.Add(Blocks((8, 3)), [9], 3);
        Assert.Equal(3, compounder.Operations);
        var only = Assert.Single(compounder.TakeAll());
        Assert.Equal([(5L, (byte)2), (7L, (byte)1), (8L, (byte)3)], only.Blocks.Select(b => (b.Home, b.Data.Span[0])));
        Assert.Equal([9L], only.Revoked);
        Assert.Equal(3, only.TimeNs);
        Assert.Equal(0, compounder.Operations);
        Assert.Empty(compounder.TakeAll());
    }

    [Fact]
    public void A_block_freed_later_in_the_compound_is_revoked_not_written()
    {
        var compounder = new TransactionCompounder(100);
        compounder.Add(Blocks((5, 1), (6, 1)), [], 1);
        compounder.Add(Blocks((5, 2)), [6], 2);
        var only = Assert.Single(compounder.TakeAll());
        Assert.Equal([5L], only.Blocks.Select(b => b.Home));
        Assert.Equal([6L], only.Revoked);
    }

    [Fact]
    public void A_revoked_block_written_again_and_the_budget_start_new_compounds()
    {
        var compounder = new TransactionCompounder(3);
        compounder.Add(Blocks(), [6], 1);
        compounder.Add(Blocks((6, 1)), [], 2);
        compounder.Add(Blocks((1, 1), (2, 1)), [], 3);
        compounder.Add(Blocks((3, 1)), [], 4);
        var split = compounder.TakeAll();
        Assert.Equal(3, split.Count);
        Assert.Equal([6L], split[0].Revoked);
        Assert.Equal([1L, 2L, 6L], split[1].Blocks.Select(b => b.Home));
        Assert.Equal([3L], split[2].Blocks.Select(b => b.Home));
    }
}

/// <summary>
/// A commit on its way to the journal (sealed, not yet published) while operations go on: its blocks stay
/// readable, a newer write of one of them wins over it before and after it is published, and a block freed
/// meanwhile is revoked, since the journal is about to hold a copy of it.
/// </summary>
public sealed class CommitInFlightTests
{
    [Fact]
    public void A_sealed_commit_stays_readable_and_newer_writes_win_over_it()
    {
        using var device = new BlockDevices.MemoryBlockDevice(16L << 20);
        Format.Formatter.Format(device, new Format.FormatOptions { BlockSize = 1024 });
        var sb = Format.SuperblockCopies.Read(device);
        var (journal, _) = Core.Journal.JournalWriter.Recover(device, Format.Journal.JournalArea.Of(sb));
        var store = new JournaledStore(device, journal, new BlockCache(1 << 20, sb.BlockSize));
        long a = sb.BlockCount - 10, b = sb.BlockCount - 11, c = sb.BlockCount - 12;
        byte[] Filled(byte value) => Enumerable.Repeat(value, sb.BlockSize).ToArray();
        byte Read(long block)
        {
            var buffer = new byte[sb.BlockSize];
            store.Read(block, buffer);
            return buffer[0];
        }

        store.Write(a, Filled(1));
        store.Write(b, Filled(1));
        store.Write(c, Filled(1));
        store.FinishOperation([]);
        var commit = store.Seal();
        Assert.NotNull(commit);
        Assert.Equal(1, commit.UpTo);
        Assert.Equal(0, store.DurableOperations);

        // While it is on its way: its blocks read as sealed, a newer write wins, a freed block is revoked.
        Assert.Equal(1, Read(a));
        store.Write(a, Filled(2));
        store.FinishOperation([]);
        store.FinishOperation([c]);
        Assert.Equal(2, Read(a));
        Assert.Equal(1, Read(b));

        store.Write(commit);
        store.Publish(commit);
        Assert.Equal(1, store.DurableOperations);
        Assert.Equal(2, Read(a));
        Assert.Equal(1, Read(b));

        store.Commit();
        Assert.Equal(store.FinishedOperations, store.DurableOperations);
        Assert.Equal(2, Read(a));
        journal.Checkpoint();
        var home = new byte[sb.BlockSize];
        device.Read(a * sb.BlockSize, home);
        Assert.Equal(2, home[0]);
        device.Read(c * sb.BlockSize, home);
        Assert.Equal(0, home[0]);
    }
}
