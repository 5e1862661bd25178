using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Tests;

public sealed class IdComparerTests
{
    /// <summary>
    /// Ids that pack two numbers growing together (as the filesystem packs a row and its owner) must spread over
    /// the hash codes; the default hash of a long, which folds the halves with XOR, gives them a handful of
    /// codes between them, and a set of them a chain per code.
    /// </summary>
    [Fact]
    public void Packed_ids_spread_over_the_hash_codes()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => ((long)i << 32) | (uint)(i + 13)).ToArray();
        Assert.True(ids.Select(id => id.GetHashCode()).Distinct().Count() < 100, "the default hash was expected to collide on these ids");
        Assert.True(ids.Select(IdComparer.Instance.GetHashCode).Distinct().Count() > 9_900);
        Assert.True(ids.Select(id => IdComparer.Instance.GetHashCode(id) & 0xFFFF).Distinct().Count() > 8_000, "the low bits, which a table indexes by, spread too");
        Assert.True(IdComparer.Instance.Equals(ids[5], ids[5]) && !IdComparer.Instance.Equals(ids[5], ids[6]));
    }

    /// <summary>A filter of such ids admits exactly them.</summary>
    [Fact]
    public void A_set_filter_of_packed_ids_admits_exactly_them()
    {
        var ids = Enumerable.Range(0, 5_000).Select(i => ((long)i << 32) | (uint)(i + 7)).ToArray();
        var filter = VectorFilter.In(ids.Where((_, i) => i % 2 == 0));
        Assert.All(ids.Select((id, i) => (id, i)), p => Assert.Equal(p.i % 2 == 0, filter.Admits(p.id)));
        Assert.Equal(2_500, filter.AdmittedIds!.Count);
    }
}
