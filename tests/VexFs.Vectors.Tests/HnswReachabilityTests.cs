using VexFs.Vectors.Hnsw;

namespace VexFs.Vectors.Tests;

/// <summary>
/// Every node of a small graph is reachable: searched with its own vector and an effort near the size of the
/// graph, each is its own nearest, whether the graph was built by one thread or several at once.
/// </summary>
public sealed class HnswReachabilityTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_node_finds_itself(int threads)
    {
        for (int round = 0; round < 20; round++)
        {
            var random = new Random(round);
            var vectors = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, 12).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()).ToArray();
            using var index = new HnswIndex(new VectorSpace(12, VectorMetric.L2));
            index.AddRange([.. Enumerable.Range(0, vectors.Length).Select(i => (long)i)], vectors, threads);
            for (int i = 0; i < vectors.Length; i++)
            {
                var nearest = index.Search(vectors[i], 1, 200)[0];
                Assert.True(nearest.Distance == 0, $"round {round}, {threads} threads: node {i} is unreachable (nearest {nearest.Id} at {nearest.Distance})");
            }
        }
    }
}
