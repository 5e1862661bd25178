using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format;

namespace VexFs.Core.Tests;

/// <summary>Blocks freed but not yet durable are never handed out, and are handed out again once they are.</summary>
public sealed class AllocatorTests
{
    private const int BlockSize = 1024;

    private static Allocator NewAllocator(MemoryBlockDevice device)
    {
        Formatter.Format(device, new FormatOptions { BlockSize = BlockSize });
        var sb = FileSystemEditor.Open(device).Superblock;
        var store = new DeviceBlockStore(device, BlockSize);
        return new Allocator(store, sb, Allocator.ReadDescriptors(store, sb));
    }

    [Fact]
    public void A_search_passes_over_a_long_run_of_frees_not_durable_to_the_first_reusable_block()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var allocator = NewAllocator(device);
        const int Run = 5000;
        var (start, _) = allocator.AllocateBlocks(allocator.Geometry.GroupStart(2), 1);
        long end = start + 1;
        while (end < start + Run)
        {
            var (block, length) = allocator.AllocateBlocks(end, (int)(start + Run - end));
            Assert.Equal(end, block);
            end += length;
        }

        allocator.FreeBlocks(start, Run);
        Assert.Equal(Run, allocator.FreesNotDurable().Length);
        // Only the run's last block may be reused: every other free block between it and the goal is skipped.
        allocator.MarkFreesDurable([start + Run - 1]);
        Assert.Equal((start + Run - 1, 1), allocator.AllocateBlocks(start, 1));
        Assert.Equal(Run - 1, allocator.FreesNotDurable().Length);

        allocator.MarkFreesDurable(allocator.FreesNotDurable());
        Assert.Equal((start, 2), allocator.AllocateBlocks(start, 2));
        Assert.False(allocator.HasFreesNotDurable);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_allocations_and_frees_never_reuse_a_block_before_its_free_is_durable(int seed)
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var allocator = NewAllocator(device);
        var random = new Random(seed);
        long blocks = allocator.Geometry.BlockCount;
        var mine = new HashSet<long>();
        var waiting = new HashSet<long>();
        long[] snapshot = [];
        for (int step = 0; step < 3000; step++)
        {
            int choice = random.Next(10);
            if (choice < 5 || mine.Count == 0)
            {
                var (block, length) = allocator.AllocateBlocks(random.NextInt64(blocks), random.Next(1, 64));
                for (long b = block; b < block + length; b++)
                {
                    Assert.True(b >= 0 && b < blocks, $"block {b} is outside the filesystem");
                    Assert.DoesNotContain(b, waiting);
                    Assert.True(mine.Add(b), $"block {b} was handed out twice");
                }
            }
            else if (choice < 8)
            {
                long b = mine.ElementAt(random.Next(mine.Count));
                mine.Remove(b);
                waiting.Add(b);
                allocator.FreeBlocks(b, 1);
            }
            else if (choice == 8)
            {
                // A commit: what was waiting when it sealed becomes reusable; later frees still wait.
                snapshot = allocator.FreesNotDurable();
            }
            else
            {
                allocator.MarkFreesDurable(snapshot);
                waiting.ExceptWith(snapshot);
                foreach (long b in snapshot.Where(b => !mine.Contains(b) && !waiting.Contains(b)).Take(3))
                {
                    // Reusable and free: a search from it finds it first.
                    Assert.Equal(b, allocator.AllocateBlocks(b, 1).Start);
                    mine.Add(b);
                }

                snapshot = [];
            }

            Assert.Equal(waiting.Order(), allocator.FreesNotDurable().Order());
        }
    }
}
