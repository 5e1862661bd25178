using VexFs.Core.Storage;
using VexFs.Format.Journal;

namespace VexFs.Core.Tests;

public sealed class CompoundTransactionTests
{
    private static JournalTransaction Tx(long time, long[] revoked, params (long Home, byte Value)[] blocks) =>
        new([.. blocks.Select(b => new JournaledBlock(b.Home, new[] { b.Value }))], revoked, time);

    [Fact]
    public void Consecutive_operations_join_and_a_block_is_journaled_once_with_its_newest_contents()
    {
        var compound = JournaledStore.Compound([Tx(1, [], (5, 1), (7, 1)), Tx(2, [], (5, 2)), Tx(3, [9], (8, 3))], budget: 100);
        var only = Assert.Single(compound);
        Assert.Equal([(5L, (byte)2), (7L, (byte)1), (8L, (byte)3)], only.Blocks.Select(b => (b.Home, b.Data.Span[0])));
        Assert.Equal([9L], only.Revoked);
        Assert.Equal(3, only.TimeNs);
    }

    [Fact]
    public void A_block_freed_later_in_the_compound_is_revoked_not_written()
    {
        var only = Assert.Single(JournaledStore.Compound([Tx(1, [], (5, 1), (6, 1)), Tx(2, [6], (5, 2))], budget: 100));
        Assert.Equal([5L], only.Blocks.Select(b => b.Home));
        Assert.Equal([6L], only.Revoked);
    }

    [Fact]
    public void A_revoked_block_written_again_and_the_budget_start_new_compounds()
    {
        var split = JournaledStore.Compound([Tx(1, [6]), Tx(2, [], (6, 1)), Tx(3, [], (1, 1), (2, 1)), Tx(4, [], (3, 1))], budget: 3);
        Assert.Equal(3, split.Count);
        Assert.Equal([6L], split[0].Revoked);
        Assert.Equal([1L, 2L, 6L], split[1].Blocks.Select(b => b.Home));
        Assert.Equal([3L], split[2].Blocks.Select(b => b.Home));
    }
}
