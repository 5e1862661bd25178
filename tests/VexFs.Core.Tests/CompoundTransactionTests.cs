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
