using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Tests;

public sealed class HnswIndexTests : IndexContractTests
{
    private const int Dimension = 32;

    private static readonly Lazy<(float[][] Base, float[][] Queries)> Data = new(() =>
        (TestData.Mixture(6000, Dimension, seed: 31), TestData.Mixture(100, Dimension, seed: 32)));

    protected override IVectorIndex Create(VectorSpace space) =>
        new HnswIndex(space, HnswOptions.Default with { M = 8, EfConstruction = 64 });

    private static HnswIndex Build(HnswOptions options, int threads, VectorMetric metric = VectorMetric.L2)
    {
        var index = new HnswIndex(new VectorSpace(Dimension, metric), options);
        index.AddRange([.. Enumerable.Range(0, Data.Value.Base.Length).Select(i => (long)i)], Data.Value.Base, threads);
        return index;
    }

    private static double Recall(HnswIndex index, int ef, Func<long, bool>? filter = null, VectorFilter? vectorFilter = null)
    {
        var live = Enumerable.Range(0, Data.Value.Base.Length).Where(i => index.Contains(i))
            .ToDictionary(i => (long)i, i => Data.Value.Base[i]);
        var truth = Data.Value.Queries.Select(q => TestData.BruteForce(live, index.Space.Metric, q, 10, filter)).ToList();
        var found = Data.Value.Queries.Select(q => index.Search(q, 10, ef, vectorFilter)).ToList();
        return TestData.Recall(truth, found);
    }

    private static void AssertRecall(double recall, double floor) =>
        Assert.True(recall >= floor, $"recall@10 {recall:F4} is below {floor}");

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void Recall_at_10_is_above_the_floor(VectorMetric metric)
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100 }, threads: 1, metric);
        AssertRecall(Recall(index, ef: 64), 0.95);
    }

    [Fact]
    public void Parallel_build_keeps_recall()
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100 }, threads: 2);
        Assert.Equal(Data.Value.Base.Length, index.Count);
        AssertRecall(Recall(index, ef: 64), 0.95);
    }

    [Fact]
    public void Int8_quantization_keeps_recall_with_exact_reranking()
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100, Quantization = VectorQuantization.ScalarInt8 }, threads: 2);
        Assert.True(index.IsQuantized);
        AssertRecall(Recall(index, ef: 64), 0.95);
        var result = index.Search(Data.Value.Queries[0], 5);
        foreach (var match in result)
        {
            Assert.Equal(TestData.ReferenceDistance(VectorMetric.L2, Data.Value.Queries[0], Data.Value.Base[match.Id]), match.Distance, 3);
        }
    }

    [Theory]
    [InlineData(VectorMetric.L2, VectorQuantization.Binary)]
    [InlineData(VectorMetric.Cosine, VectorQuantization.Binary)]
    [InlineData(VectorMetric.L2, VectorQuantization.TwoBit)]
    [InlineData(VectorMetric.InnerProduct, VectorQuantization.FourBit)]
    public void Rotated_codes_keep_recall_with_bounded_reranking_and_report_exact_distances(VectorMetric metric, VectorQuantization codes)
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100, Quantization = codes }, threads: 2, metric);
        Assert.True(index.IsQuantized);
        Assert.Equal(codes, index.Options.Quantization);
        AssertRecall(Recall(index, ef: 64), 0.95);
        var query = Data.Value.Queries[0];
        foreach (var match in index.Search(query, 5))
        {
            Assert.Equal(TestData.ReferenceDistance(metric, query, Data.Value.Base[match.Id]), match.Distance, 3);
        }

        // A filter admitting few vectors compares their codes, then re-ranks; exact search stays exact.
        AssertRecall(Recall(index, ef: 64, id => id % 50 == 0, VectorFilter.Where(id => id % 50 == 0)), 0.95);
        var live = Enumerable.Range(0, Data.Value.Base.Length).ToDictionary(i => (long)i, i => Data.Value.Base[i]);
        var truth = Data.Value.Queries.Select(q => TestData.BruteForce(live, metric, q, 10)).ToList();
        Assert.Equal(1.0, TestData.Recall(truth, [.. Data.Value.Queries.Select(q => index.SearchExact(q, 10))]));
    }

    [Theory]
    [InlineData(128, VectorQuantization.Automatic, VectorQuantization.None)]
    [InlineData(255, VectorQuantization.Automatic, VectorQuantization.None)]
    [InlineData(256, VectorQuantization.Automatic, VectorQuantization.ScalarInt8)]
    [InlineData(384, VectorQuantization.Automatic, VectorQuantization.ScalarInt8)]
    [InlineData(384, VectorQuantization.None, VectorQuantization.None)]
    [InlineData(64, VectorQuantization.ScalarInt8, VectorQuantization.ScalarInt8)]
    public void Automatic_quantization_chooses_int8_codes_from_256_dimensions(int dimension, VectorQuantization asked, VectorQuantization chosen)
    {
        using var index = new HnswIndex(new VectorSpace(dimension, VectorMetric.Cosine), HnswOptions.Default with { Quantization = asked });
        Assert.Equal(chosen, index.Options.Quantization);
        Assert.Equal(VectorQuantization.Automatic, HnswOptions.Default.Quantization);
    }

    /// <summary>
    /// A node's row holds its links and then its vector (or, quantized, its code, padded to whole ints, with the
    /// floats in rows of their own): with a dimension that is not a multiple of four, no row may spill into the
    /// next, before or after the quantizer is trained, in memory or reopened.
    /// </summary>
    [Theory]
    [InlineData(VectorQuantization.None)]
    [InlineData(VectorQuantization.ScalarInt8)]
    [InlineData(VectorQuantization.Binary)]
    [InlineData(VectorQuantization.FourBit)]
    public void Every_vector_reads_back_exactly_and_searches_find_it_in_both_row_layouts(VectorQuantization quantization)
    {
        var dimension = 13;
        var vectors = TestData.Mixture(1200, dimension, seed: 33);
        var queries = TestData.Mixture(50, dimension, seed: 34);
        using var index = new HnswIndex(
            new VectorSpace(dimension, VectorMetric.L2),
            HnswOptions.Default with { M = 6, EfConstruction = 60, Quantization = quantization, QuantizationTrainingSize = 700 });
        index.AddRange([.. Enumerable.Range(0, vectors.Length).Select(i => (long)i)], vectors, 1);
        Assert.Equal(quantization != VectorQuantization.None, index.IsQuantized);
        var store = new MemoryPageStore(512);
        index.Save(store);
        using var reopened = HnswIndex.Load(store);
        var all = Enumerable.Range(0, vectors.Length).ToDictionary(i => (long)i, i => vectors[i]);
        foreach (var searched in new[] { index, reopened })
        {
            for (var i = 0; i < vectors.Length; i++)
            {
                Assert.Equal(vectors[i], searched.GetVector(i));
            }

            var truth = queries.Select(q => TestData.BruteForce(all, VectorMetric.L2, q, 10)).ToList();
            AssertRecall(TestData.Recall(truth, [.. queries.Select(q => searched.Search(q, 10, 64))]), 0.95);
            var nearest = searched.Search(vectors[5], 1, 64)[0];
            Assert.Equal(5, nearest.Id);
            Assert.Equal(0f, nearest.Distance);
        }
    }

    [Fact]
    public void Single_threaded_builds_with_one_seed_are_identical()
    {
        var options = HnswOptions.Default with { M = 8, EfConstruction = 40, Seed = 7 };
        var vectors = Data.Value.Base[..1500];
        using var a = new HnswIndex(new VectorSpace(Dimension, VectorMetric.L2), options);
        using var b = new HnswIndex(new VectorSpace(Dimension, VectorMetric.L2), options);
        a.AddRange([.. Enumerable.Range(0, vectors.Length).Select(i => (long)i)], vectors, 1);
        b.AddRange([.. Enumerable.Range(0, vectors.Length).Select(i => (long)i)], vectors, 1);
        foreach (var query in Data.Value.Queries)
        {
            Assert.Equal(a.Search(query, 10, 16), b.Search(query, 10, 16));
        }
    }

    [Fact]
    public void Removal_and_compaction_keep_recall_and_reuse_slots()
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100 }, threads: 2);
        for (var i = 0; i < Data.Value.Base.Length; i += 3)
        {
            index.Remove(i);
        }

        Assert.Equal(2000, index.DeletedCount);
        AssertRecall(Recall(index, ef: 64), 0.95);
        Assert.Equal(2000, index.Compact());
        Assert.Equal(0, index.DeletedCount);
        AssertRecall(Recall(index, ef: 64), 0.95);
        foreach (var query in Data.Value.Queries)
        {
            Assert.All(index.Search(query, 10), m => Assert.NotEqual(0, m.Id % 3));
        }

        for (var i = 0; i < Data.Value.Base.Length; i += 3)
        {
            index.Add(i, Data.Value.Base[i]);
        }

        Assert.Equal(Data.Value.Base.Length, index.Count);
        AssertRecall(Recall(index, ef: 64), 0.95);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(100)]
    public void Filtered_search_returns_only_admitted_ids_and_keeps_recall(int modulus)
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100 }, threads: 2);
        bool Admits(long id) => id % modulus == 1;
        foreach (var filter in new[] { VectorFilter.Where(Admits), VectorFilter.In(Enumerable.Range(0, 6000).Where(i => Admits(i)).Select(i => (long)i)) })
        {
            foreach (var query in Data.Value.Queries)
            {
                Assert.All(index.Search(query, 10, filter), m => Assert.True(Admits(m.Id)));
            }

            AssertRecall(Recall(index, 64, Admits, filter), 0.9);
        }
    }

    /// <summary>
    /// A filter few enough to compare one by one, on an int8 index: the codes rank the admitted vectors and the
    /// nearest are measured in floats (every distance answered is the exact one), recall near brute force; the
    /// exact search of the same filter still compares floats and equals brute force.
    /// </summary>
    [Theory]
    [InlineData(20)]
    [InlineData(100)]
    public void A_filter_compared_one_by_one_ranks_codes_then_floats(int modulus)
    {
        using var index = Build(HnswOptions.Default with { EfConstruction = 100, Quantization = VectorQuantization.ScalarInt8 }, threads: 2);
        Assert.True(index.IsQuantized);
        bool Admits(long id) => id % modulus == 1;
        var filter = VectorFilter.In(Enumerable.Range(0, Data.Value.Base.Length).Where(i => Admits(i)).Select(i => (long)i));
        AssertRecall(Recall(index, 10, Admits, filter), 0.97);
        var all = Enumerable.Range(0, Data.Value.Base.Length).ToDictionary(i => (long)i, i => Data.Value.Base[i]);
        foreach (var query in Data.Value.Queries)
        {
            foreach (var match in index.Search(query, 10, filter))
            {
                Assert.True(Admits(match.Id));
                Assert.Equal(TestData.ReferenceDistance(VectorMetric.L2, query, Data.Value.Base[match.Id]), match.Distance, 1e-3);
            }

            Assert.Equal(TestData.BruteForce(all, VectorMetric.L2, query, 10, Admits), index.SearchExact(query, 10, filter).Select(m => m.Id));
        }
    }

    [Fact]
    public async Task Searches_run_in_parallel_with_inserts_and_removals()
    {
        using var index = new HnswIndex(new VectorSpace(Dimension, VectorMetric.L2), HnswOptions.Default with { M = 8, EfConstruction = 40 });
        var vectors = Data.Value.Base[..3000];
        using var done = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < vectors.Length; i++)
                {
                    index.Add(i, vectors[i]);
                    if (i % 10 == 9)
                    {
                        index.Remove(i - 5);
                    }
                }
            }
            finally
            {
                await done.CancelAsync();
            }
        }, TestContext.Current.CancellationToken);
        var searches = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                foreach (var match in index.Search(Data.Value.Queries[searches % 100], 10))
                {
                    Assert.InRange(match.Id, 0, vectors.Length - 1);
                }

                searches++;
            }
        }, TestContext.Current.CancellationToken);
        await Task.WhenAll(writer, reader);
        Assert.True(searches > 0);
        Assert.Equal(2700, index.Count);
        Assert.Equal(300, index.Compact());
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        var space = new VectorSpace(4, VectorMetric.L2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(space, HnswOptions.Default with { M = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(space, HnswOptions.Default with { EfConstruction = 0 }));
        using var index = new HnswIndex(space);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.EfSearch = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], 1, efSearch: 0));
    }

    [Fact]
    public void A_regular_one_percent_predicate_is_planned_as_an_exact_scan()
    {
        using var index = Build(HnswOptions.Default with { M = 8, EfConstruction = 32 }, threads: 2);
        static bool Admits(long id) => id % 100 == 0;
        Assert.Equal(1.0, Recall(index, 10, Admits, VectorFilter.Where(Admits)));
    }

    [Fact]
    public void Parallel_add_reports_a_bad_vector_as_an_argument_error()
    {
        using var index = new HnswIndex(new VectorSpace(4, VectorMetric.L2));
        float[][] vectors = [[1, 2, 3, 4], [1, float.NaN, 3, 4], [5, 6, 7, 8]];
        Assert.Throws<ArgumentException>(() => index.AddRange([1, 2, 3], vectors, maxDegreeOfParallelism: 2));
        Assert.Throws<ArgumentException>(() => index.AddRange([1, 2], vectors));
        Assert.False(index.Contains(2));
    }

    [Fact]
    public async Task Searches_run_in_parallel_with_compaction()
    {
        using var index = new HnswIndex(new VectorSpace(Dimension, VectorMetric.L2), HnswOptions.Default with { M = 8, EfConstruction = 40 });
        var vectors = Data.Value.Base[..3000];
        index.AddRange([.. Enumerable.Range(0, vectors.Length).Select(i => (long)i)], vectors, 2);
        for (var i = 0; i < vectors.Length; i += 2)
        {
            index.Remove(i);
        }

        using var done = new CancellationTokenSource();
        var searches = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested || searches == 0)
            {
                foreach (var match in index.Search(Data.Value.Queries[searches % 100], 10))
                {
                    Assert.Equal(1, match.Id % 2);
                }

                searches++;
            }
        }, TestContext.Current.CancellationToken);
        Assert.Equal(1500, index.Compact());
        await done.CancelAsync();
        await reader;
        Assert.True(searches > 0);
        AssertRecall(Recall(index, ef: 64), 0.95);
    }
}
