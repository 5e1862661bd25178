using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Tests;

/// <summary>An index whose owner keeps the float vectors: codes and graph in memory, floats read through a reader.</summary>
public sealed class OwnerVectorsTests
{
    private const int Dimension = 48;
    private static readonly HnswOptions Options = HnswOptions.Default with { M = 12, EfConstruction = 100 };

    private static readonly Lazy<(float[][] Base, float[][] Queries)> Data = new(() =>
        (TestData.Mixture(5000, Dimension, seed: 61), TestData.Mixture(100, Dimension, seed: 62)));

    /// <summary>The owner's vectors, in their stored form, counting the reads.</summary>
    private sealed class Owner(VectorSpace space) : IVectorReader
    {
        private int _reads;

        public Dictionary<long, float[]> Stored { get; } = [];

        public int Reads => Volatile.Read(ref _reads);

        public void Add(long id, float[] vector) => Stored[id] = space.ToStored(vector);

        public void Read(long id, Span<float> destination)
        {
            Interlocked.Increment(ref _reads);
            Stored[id].CopyTo(destination);
        }
    }

    private static (HnswIndex Index, Owner Owner) Build(VectorMetric metric, VectorQuantization quantization = VectorQuantization.ScalarInt8)
    {
        var space = new VectorSpace(Dimension, metric);
        var owner = new Owner(space);
        var vectors = Data.Value.Base;
        for (var i = 0; i < vectors.Length; i++)
        {
            owner.Add(i, vectors[i]);
        }

        var index = new HnswIndex(space, Options with { Quantization = quantization }, owner, vectors.Take(1000));
        index.AddRange([.. Enumerable.Range(0, vectors.Length).Select(i => (long)i)], vectors, 2);
        return (index, owner);
    }

    private static double Recall(HnswIndex index, int ef)
    {
        var live = Enumerable.Range(0, Data.Value.Base.Length).Where(i => index.Contains(i)).ToDictionary(i => (long)i, i => Data.Value.Base[i]);
        var truth = Data.Value.Queries.Select(q => TestData.BruteForce(live, index.Space.Metric, q, 10)).ToList();
        var found = Data.Value.Queries.Select(q => index.Search(q, 10, ef)).ToList();
        return TestData.Recall(truth, found);
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void A_graph_built_from_codes_finds_the_neighbors_and_reports_exact_distances(VectorMetric metric)
    {
        var (index, owner) = Build(metric);
        using (index)
        {
            Assert.True(index.OwnerKeepsVectors);
            var recall = Recall(index, 64);
            Assert.True(recall >= 0.9, $"recall@10 {recall:F4} is below 0.9");
            foreach (var query in Data.Value.Queries.Take(20))
            {
                foreach (var match in index.Search(query, 10, 64))
                {
                    var expected = TestData.ReferenceDistance(metric, owner.Stored[match.Id], new VectorSpace(Dimension, metric).ToStored(query));
                    Assert.Equal(expected, match.Distance, 3);
                }
            }
        }
    }

    [Theory]
    [InlineData(VectorMetric.L2, VectorQuantization.Binary)]
    [InlineData(VectorMetric.Cosine, VectorQuantization.Binary)]
    [InlineData(VectorMetric.L2, VectorQuantization.FourBit)]
    public void A_graph_built_from_rotated_codes_finds_the_neighbors(VectorMetric metric, VectorQuantization codes)
    {
        var (index, owner) = Build(metric, codes);
        using (index)
        {
            Assert.Equal(codes, index.Options.Quantization);
            var recall = Recall(index, 64);
            Assert.True(recall >= 0.9, $"recall@10 {recall:F4} is below 0.9");
            var store = new MemoryPageStore(4096);
            index.Save(store);
            using var reopened = HnswIndex.Load(store, owner);
            Assert.Equal(codes, reopened.Options.Quantization);
            foreach (var query in Data.Value.Queries.Take(20))
            {
                Assert.Equal(index.Search(query, 10, 64), reopened.Search(query, 10, 64));
            }
        }
    }

    [Fact]
    public void A_search_reads_only_the_candidates_it_re_ranks_and_memory_holds_no_floats()
    {
        var (index, owner) = Build(VectorMetric.L2);
        using (index)
        {
            using var inMemory = new HnswIndex(index.Space, Options with { Quantization = VectorQuantization.ScalarInt8 });
            inMemory.AddRange([.. Enumerable.Range(0, Data.Value.Base.Length).Select(i => (long)i)], Data.Value.Base, 2);
            var before = owner.Reads;
            index.Search(Data.Value.Queries[0], 10, 40);
            Assert.InRange(owner.Reads - before, 10, 40);

            // The in-memory index holds every float vector besides the same codes and links.
            Assert.True(
                index.MemoryBytes <= inMemory.MemoryBytes - (Data.Value.Base.Length * Dimension * sizeof(float)) + (64 << 10),
                $"{index.MemoryBytes} bytes against {inMemory.MemoryBytes} with the floats in memory");
            Assert.Equal(owner.Stored[123], index.GetVector(123));
        }
    }

    [Fact]
    public void Saved_without_its_vectors_it_reloads_with_a_reader_only_and_answers_alike()
    {
        var (index, owner) = Build(VectorMetric.Cosine);
        using (index)
        {
            var store = new MemoryPageStore(4096);
            index.Save(store);
            Assert.Throws<ArgumentException>(() => HnswIndex.Load(store));
            Assert.Throws<ArgumentException>(() => HnswIndex.Load(store, VectorResidency.Device));
            using var reloaded = HnswIndex.Load(store, owner);
            Assert.True(reloaded.OwnerKeepsVectors);
            foreach (var query in Data.Value.Queries)
            {
                Assert.Equal(index.Search(query, 10, 32), reloaded.Search(query, 10, 32));
            }

            // It can change: a new vector is found, a removed one is not.
            var fresh = Data.Value.Queries[5];
            owner.Add(9999, fresh);
            reloaded.Add(9999, fresh);
            reloaded.Remove(7);
            Assert.Equal(9999, reloaded.Search(fresh, 1)[0].Id);
            Assert.DoesNotContain(reloaded.Search(Data.Value.Base[7], 10), m => m.Id == 7);
        }
    }

    [Fact]
    public void A_quantized_index_saved_with_its_floats_reloads_with_a_reader_that_replaces_them()
    {
        var space = new VectorSpace(Dimension, VectorMetric.L2);
        using var saved = new HnswIndex(space, Options with { Quantization = VectorQuantization.ScalarInt8 });
        saved.AddRange([.. Enumerable.Range(0, Data.Value.Base.Length).Select(i => (long)i)], Data.Value.Base, 2);
        var store = new MemoryPageStore(4096);
        saved.Save(store);
        var owner = new Owner(space);
        for (var i = 0; i < Data.Value.Base.Length; i++)
        {
            owner.Add(i, Data.Value.Base[i]);
        }

        using var reloaded = HnswIndex.Load(store, owner);
        Assert.True(reloaded.MemoryBytes < saved.MemoryBytes - (Data.Value.Base.Length * Dimension * sizeof(float)) + (64 << 10));
        foreach (var query in Data.Value.Queries)
        {
            Assert.Equal(saved.Search(query, 10, 32), reloaded.Search(query, 10, 32));
        }
    }

    [Fact]
    public void Removed_vectors_compact_away_and_recall_holds()
    {
        var (index, _) = Build(VectorMetric.L2);
        using (index)
        {
            for (var i = 0; i < Data.Value.Base.Length; i += 3)
            {
                index.Remove(i);
            }

            Assert.True(index.Compact() > 0);
            var recall = Recall(index, 64);
            Assert.True(recall >= 0.9, $"recall@10 {recall:F4} is below 0.9 after compaction");
        }
    }

    [Fact]
    public void Training_needs_a_vector_and_every_one_must_be_valid()
    {
        var space = new VectorSpace(Dimension, VectorMetric.Cosine);
        var owner = new Owner(space);
        Assert.Throws<ArgumentException>(() => new HnswIndex(space, Options, owner, []));
        Assert.Throws<ArgumentException>(() => new HnswIndex(space, Options, owner, [new float[Dimension]]));
    }
}
