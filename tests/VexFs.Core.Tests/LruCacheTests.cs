using VexFs.Core.Caching;

namespace VexFs.Core.Tests;

public sealed class LruCacheTests
{
    [Fact]
    public void The_least_recently_used_entry_goes_first_and_displaced_values_are_handed_back()
    {
        var cache = new LruCache<int, string>(2);
        cache.Set(1, "a");
        cache.Set(2, "b");
        Assert.True(cache.TryGet(1, out _));
        Assert.True(cache.Set(3, "c", out string evicted));
        Assert.Equal("b", evicted);
        Assert.False(cache.TryGet(2, out _));
        Assert.True(cache.Set(1, "a2", out string replaced));
        Assert.Equal("a", replaced);
        Assert.True(cache.TryGet(1, out string value));
        Assert.Equal("a2", value);
        Assert.True(cache.Remove(3));
        Assert.False(cache.Remove(3));
        Assert.Equal(1, cache.Count);
        cache.Clear();
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_cache_of_no_entries_keeps_nothing()
    {
        var cache = new LruCache<int, int>(0);
        Assert.False(cache.Set(1, 1, out _));
        Assert.False(cache.TryGet(1, out _));
    }
}
