using VexFs.Vectors.Flat;

namespace VexFs.Vectors.Tests;

public sealed class FlatIndexTests : IndexContractTests
{
    protected override IVectorIndex Create(VectorSpace space) => new FlatIndex(space);

    [Theory]
    [InlineData(VectorMetric.L2, 37)]
    [InlineData(VectorMetric.Cosine, 64)]
    [InlineData(VectorMetric.InnerProduct, 100)]
    [InlineData(VectorMetric.L2, 1500)]
    public void Exact_search_has_recall_one_against_brute_force(VectorMetric metric, int dimension)
    {
        using var index = new FlatIndex(new VectorSpace(dimension, metric));
        var vectors = TestData.Mixture(3000, dimension, seed: 11);
        var byId = new Dictionary<long, float[]>();
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(1000 + i, vectors[i]);
            byId[1000 + i] = vectors[i];
        }

        var queries = TestData.Mixture(50, dimension, seed: 12);
        var truth = queries.Select(q => TestData.BruteForce(byId, metric, q, 10)).ToList();
        var found = queries.Select(q => index.Search(q, 10)).ToList();
        Assert.Equal(1.0, TestData.Recall(truth, found));
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(truth[q], found[q].Select(m => m.Id));
        }
    }

    [Theory]
    [InlineData(VectorMetric.L2, 960)]
    [InlineData(VectorMetric.Cosine, 384)]
    public void Rows_added_as_a_range_are_found_as_rows_added_one_by_one_and_as_brute_force_finds_them(VectorMetric metric, int dimension)
    {
        // 1,000 rows as one range (codes trained on all of them), then 600 more as a second (no new training
        // below 2,000): against an index of the same rows added one by one (trained on the first 256 and 512).
        var vectors = TestData.Mixture(1600, dimension, seed: 13);
        using var ranged = new FlatIndex(new VectorSpace(dimension, metric));
        using var single = new FlatIndex(new VectorSpace(dimension, metric));
        var byId = new Dictionary<long, float[]>();
        foreach (var (start, length) in new[] { (0, 1000), (1000, 600) })
        {
            var ids = Enumerable.Range(start, length).Select(i => 7L * i).ToArray();
            ranged.AddRange(ids, vectors[start..(start + length)]);
            foreach (var id in ids)
            {
                single.Add(id, vectors[id / 7]);
                byId[id] = vectors[id / 7];
            }

            foreach (var query in TestData.Mixture(30, dimension, seed: 14 + start))
            {
                var found = ranged.Search(query, 10);
                Assert.Equal(single.Search(query, 10), found);
                Assert.Equal(TestData.BruteForce(byId, metric, query, 10), found.Select(m => m.Id));
            }
        }

        Assert.Equal(1600, ranged.Count);
    }

    [Fact]
    public void A_range_with_a_bad_entry_adds_nothing()
    {
        using var index = new FlatIndex(new VectorSpace(8, VectorMetric.L2));
        var vectors = TestData.Mixture(300, 8, seed: 15);
        index.AddRange([.. Enumerable.Range(0, 300).Select(i => (long)i)], vectors);
        var query = TestData.Mixture(1, 8, seed: 16)[0];
        var before = index.Search(query, 5);
        var fresh = Enumerable.Range(1000, 300).Select(i => (long)i).ToArray();
        var nan = vectors.Select(v => v.ToArray()).ToArray();
        nan[299][3] = float.NaN;
        Assert.Throws<ArgumentException>(() => index.AddRange(fresh, vectors[..299]));
        Assert.Throws<ArgumentException>(() => index.AddRange([.. fresh[..299], 1000L], vectors));
        Assert.Throws<ArgumentException>(() => index.AddRange([.. fresh[..299], 5L], vectors));
        Assert.Throws<ArgumentException>(() => index.AddRange(fresh, nan));
        Assert.Throws<ArgumentException>(() => index.AddRange(fresh, [.. vectors[..299], new float[7]]));
        Assert.Equal(300, index.Count);
        Assert.False(index.Contains(1000));
        Assert.Equal(before, index.Search(query, 5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(70)]
    public void Among_equal_distances_the_vectors_added_first_are_found(int k)
    {
        // 300 copies of one vector behind 40 farther ones: a scan keeps a row only when it is strictly nearer
        // than the farthest it holds, so the k copies added first are the answer, whatever the block layout.
        using var index = new FlatIndex(new VectorSpace(16, VectorMetric.L2));
        for (var i = 0; i < 40; i++)
        {
            index.Add(1000 + i, Enumerable.Repeat(5f + i, 16).ToArray());
        }

        for (var i = 0; i < 300; i++)
        {
            index.Add(i, Enumerable.Repeat(1f, 16).ToArray());
        }

        var found = index.Search(Enumerable.Repeat(0f, 16).ToArray(), k);
        Assert.Equal(Enumerable.Range(0, k).Select(i => (long)i), found.Select(m => m.Id).Order());
        Assert.All(found, m => Assert.Equal(16f, m.Distance));
    }

    [Fact]
    public void Filtered_scans_cross_chunk_boundaries()
    {
        // 4 KiB rows: vectors and ids are chunked differently, and 1,200 vectors span several chunks.
        using var index = new FlatIndex(new VectorSpace(1024, VectorMetric.L2));
        var vectors = TestData.Mixture(1200, 1024, seed: 13);
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(i, vectors[i]);
        }

        var odd = VectorFilter.Where(id => id % 2 == 1);
        var result = index.Search(vectors[1101], 3, odd);
        Assert.Equal(1101, result[0].Id);
        Assert.All(result, m => Assert.Equal(1, m.Id % 2));
    }

    [Fact]
    public void Cosine_queries_ignore_what_pooled_buffers_held_before()
    {
        using var index = new FlatIndex(new VectorSpace(3, VectorMetric.Cosine));
        index.Add(1, [1, 2, 2]);
        using var wide = new FlatIndex(new VectorSpace(16, VectorMetric.L2));
        wide.Add(1, Enumerable.Repeat(9f, 16).ToArray());
        for (var i = 0; i < 20; i++)
        {
            // Searches of a 16-dimension index leave floats in the pooled buffers a 3-dimension index rents next.
            wide.Search(Enumerable.Repeat(5f, 16).ToArray(), 1);
            Assert.Equal(0f, index.Search([2, 4, 4], 1)[0].Distance, 5);
        }
    }

    [Fact]
    public void Batch_search_equals_single_searches()
    {
        using var index = new FlatIndex(new VectorSpace(24, VectorMetric.L2));
        var vectors = TestData.Mixture(2500, 24, seed: 21);
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(i, vectors[i]);
        }

        var queries = TestData.Mixture(37, 24, seed: 22);
        var batch = index.SearchBatch(queries.SelectMany(q => q).ToArray(), 7, maxDegreeOfParallelism: 2);
        Assert.Equal(queries.Length, batch.Length);
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(index.Search(queries[q], 7), batch[q]);
        }
    }

    [Fact]
    public void Batch_of_partial_queries_is_an_argument_error()
    {
        using var index = new FlatIndex(new VectorSpace(4, VectorMetric.L2));
        Assert.Throws<ArgumentException>(() => index.SearchBatch(new float[6], 1));
    }
}
