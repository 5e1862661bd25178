using VexFs.Core.Storage;

namespace VexFs.Core.Tests;

public sealed class BlockCacheTests
{
    [Fact]
    public void The_cache_keeps_at_most_its_capacity_and_evicts_the_least_recently_used()
    {
        var cache = new BlockCache(3 * 1024, 1024);
        var block = new byte[1024];
        for (int i = 0; i < 3; i++)
        {
            block[0] = (byte)i;
            cache.Put(i, block);
        }

        Assert.True(cache.TryRead(0, block));
        Assert.Equal(0, block[0]);
        block[0] = 3;
        cache.Put(3, block);
        Assert.Equal(3, cache.Count);
        Assert.False(cache.TryRead(1, block));
        Assert.True(cache.TryRead(0, block));
        Assert.True(cache.TryRead(3, block));
        Assert.Equal(3, block[0]);

        block[0] = 9;
        cache.Put(0, block);
        cache.TryRead(0, block);
        Assert.Equal(9, block[0]);
        cache.Remove(0);
        Assert.False(cache.TryRead(0, block));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void A_zero_capacity_cache_holds_nothing()
    {
        var cache = new BlockCache(0, 4096);
        cache.Put(1, new byte[4096]);
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryRead(1, new byte[4096]));
    }

    [Fact]
    public void A_filesystem_with_a_tiny_cache_reads_what_it_wrote_after_blocks_are_freed_and_reused()
    {
        using var device = new BlockDevices.MemoryBlockDevice(16L << 20);
        using var fs = VexFileSystem.Format(device, new Format.FormatOptions { BlockSize = 1024 }, new VexFileSystemOptions { BlockCacheBytes = 8 << 10, MaxUnflushedOperations = 4 }, leaveOpen: true);
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 60; i++)
            {
                fs.CreateDirectory($"/r{round}/d{i}");
                fs.SetXattr($"/r{round}/d{i}", "user.n", BitConverter.GetBytes(i));
            }

            if (round > 0)
            {
                fs.DeleteDirectory($"/r{round - 1}", recursive: true);
            }

            for (int i = 0; i < 60; i++)
            {
                Assert.Equal(BitConverter.GetBytes(i), fs.GetXattr($"/r{round}/d{i}", "user.n"));
            }
        }

        fs.Dispose();
        Assert.True(Format.Check.FileSystemChecker.Check(device, new Format.Check.CheckOptions { Force = true }).IsClean);
    }
}
