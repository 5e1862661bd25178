using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VexFs.Vectors.Flat;
using VexFs.Vectors.Hnsw;

namespace VexFs.Vectors.Tests;

/// <summary>Random operation sequences against a dictionary and brute-force search as the model.</summary>
public sealed class ModelTests
{
    private const int Dimension = 6;

    public enum Kind
    {
        Add,
        Update,
        Remove,
        Search,
        Compact,
    }

    public sealed record Op(Kind Kind, long Id, int Seed, int K)
    {
        public float[] Vector()
        {
            var random = new Random(Seed);
            return [.. Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 4) - 2))];
        }
    }

    private static Arbitrary<Op[]> Operations() =>
        Gen.ArrayOf(
            from kind in Gen.Frequency((6, Gen.Constant(Kind.Add)), (2, Gen.Constant(Kind.Update)), (2, Gen.Constant(Kind.Remove)), (3, Gen.Constant(Kind.Search)), (1, Gen.Constant(Kind.Compact)))
            from id in Gen.Choose(0, 60)
            from seed in Gen.Choose(0, int.MaxValue)
            from k in Gen.Choose(1, 12)
            select new Op(kind, id, seed, k)).ToArbitrary();

    [Property(MaxTest = 150, EndSize = 200)]
    public Property Flat_index_answers_exactly_as_the_model() =>
        Prop.ForAll(Operations(), ops =>
        {
            using var index = new FlatIndex(new VectorSpace(Dimension, VectorMetric.L2));
            Replay(index, ops, exact: true, compact: () => { });
        });

    [Property(MaxTest = 150, EndSize = 200)]
    public Property Hnsw_index_agrees_with_the_model() =>
        Prop.ForAll(Operations(), ops =>
        {
            using var index = new HnswIndex(new VectorSpace(Dimension, VectorMetric.L2), HnswOptions.Default with { M = 8, EfConstruction = 64, EfSearch = 64 });
            Replay(index, ops, exact: false, compact: () => index.Compact());
        });

    private static void Replay(IVectorIndex index, Op[] ops, bool exact, Action compact)
    {
        var model = new Dictionary<long, float[]>();
        double hits = 0, expected = 0;
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case Kind.Add when model.ContainsKey(op.Id):
                    Assert.Throws<ArgumentException>(() => index.Add(op.Id, op.Vector()));
                    break;
                case Kind.Add:
                    index.Add(op.Id, op.Vector());
                    model[op.Id] = op.Vector();
                    break;
                case Kind.Update when model.ContainsKey(op.Id):
                    index.Update(op.Id, op.Vector());
                    model[op.Id] = op.Vector();
                    break;
                case Kind.Remove when model.Remove(op.Id):
                    index.Remove(op.Id);
                    break;
                case Kind.Update or Kind.Remove:
                    Assert.Throws<KeyNotFoundException>(() =>
                    {
                        if (op.Kind == Kind.Update)
                        {
                            index.Update(op.Id, op.Vector());
                        }
                        else
                        {
                            index.Remove(op.Id);
                        }
                    });
                    break;
                case Kind.Compact:
                    compact();
                    break;
                case Kind.Search:
                    var query = op.Vector();
                    var truth = TestData.BruteForce(model, VectorMetric.L2, query, op.K);
                    var found = index.Search(query, op.K);
                    Assert.Equal(found.Length, found.Select(m => m.Id).Distinct().Count());
                    Assert.True(found.Zip(found.Skip(1)).All(p => p.First.Distance <= p.Second.Distance));
                    foreach (var match in found)
                    {
                        Assert.True(model.ContainsKey(match.Id), $"id {match.Id} is not stored");
                        Assert.Equal(TestData.ReferenceDistance(VectorMetric.L2, query, model[match.Id]), match.Distance, new ToleranceComparer());
                    }

                    if (exact)
                    {
                        Assert.Equal(truth.Select(id => TestData.ReferenceDistance(VectorMetric.L2, query, model[id])), found.Select(m => (double)m.Distance), new ToleranceComparer());
                    }

                    hits += found.Count(m => truth.Contains(m.Id));
                    expected += truth.Length;
                    break;
            }

            Assert.Equal(model.Count, index.Count);
        }

        foreach (var (id, vector) in model)
        {
            Assert.True(index.Contains(id));
            Assert.Equal(vector, index.GetVector(id));
        }

        // With a candidate list larger than the index the walk reaches every node connected to the entry point;
        // pruning can rarely leave a node without in-links, so the floor is below 1.
        Assert.True(expected == 0 || hits / expected >= 0.9, $"recall {hits / expected:F3}");
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= 1e-4 * Math.Max(1, Math.Abs(x));

        public int GetHashCode(double obj) => 0;
    }
}
