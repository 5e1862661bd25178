using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VexFs.Vectors.Kernels;

namespace VexFs.Vectors.Tests;

public sealed class DistanceKernelTests
{
    private static Arbitrary<(float[] A, float[] B, int Offset)> VectorPairs(int minDimension, int maxDimension) =>
        (from dim in Gen.Choose(minDimension, maxDimension)
         from offset in Gen.Choose(0, 15)
         from seed in Gen.Choose(0, int.MaxValue)
         select Pair(dim, offset, seed)).ToArbitrary();

    private static (float[] A, float[] B, int Offset) Pair(int dimension, int offset, int seed)
    {
        // Vectors start at an arbitrary offset inside their arrays so that loads are unaligned.
        var random = new Random(seed);
        var a = new float[dimension + offset];
        var b = new float[dimension + offset];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)((random.NextDouble() * 20) - 10);
            b[i] = (float)((random.NextDouble() * 20) - 10);
        }

        return (a, b, offset);
    }

    private static bool Close(double expected, float actual, double scale) =>
        Math.Abs(expected - actual) <= (1e-5 * scale) + 1e-5;

    private static double Scale(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += Math.Abs((double)a[i] * b[i]) + ((double)a[i] * a[i]) + ((double)b[i] * b[i]);
        }

        return s;
    }

    [Property(MaxTest = 300)]
    public Property L2_matches_the_scalar_reference_for_every_dimension() =>
        Prop.ForAll(VectorPairs(1, VectorSpace.MaxDimension), p =>
        {
            var dim = p.A.Length - p.Offset;
            var a = p.A.AsSpan(p.Offset, dim);
            var b = p.B.AsSpan(p.Offset, dim);
            return Close(TestData.ReferenceDistance(VectorMetric.L2, a, b), Distance.L2Squared(a, b), Scale(a, b));
        });

    [Property(MaxTest = 300)]
    public Property Dot_matches_the_scalar_reference_for_every_dimension() =>
        Prop.ForAll(VectorPairs(1, VectorSpace.MaxDimension), p =>
        {
            var dim = p.A.Length - p.Offset;
            var a = p.A.AsSpan(p.Offset, dim);
            var b = p.B.AsSpan(p.Offset, dim);
            return Close(1 - TestData.ReferenceDistance(VectorMetric.InnerProduct, a, b), Distance.Dot(a, b), Scale(a, b));
        });

    [Property(MaxTest = 200)]
    public Property Short_vectors_and_every_tail_length_match_the_reference() =>
        Prop.ForAll(VectorPairs(1, 80), p =>
        {
            var dim = p.A.Length - p.Offset;
            var a = p.A.AsSpan(p.Offset, dim);
            var b = p.B.AsSpan(p.Offset, dim);
            return Close(TestData.ReferenceDistance(VectorMetric.L2, a, b), Distance.L2Squared(a, b), Scale(a, b))
                && Close(1 - TestData.ReferenceDistance(VectorMetric.InnerProduct, a, b), Distance.Dot(a, b), Scale(a, b));
        });

    [Fact]
    public void Every_dimension_from_1_to_4096_matches_the_reference()
    {
        var (a, b, _) = Pair(VectorSpace.MaxDimension + 1, 0, 7);
        for (var dim = 1; dim <= VectorSpace.MaxDimension; dim++)
        {
            var x = a.AsSpan(1, dim);
            var y = b.AsSpan(0, dim);
            var scale = Scale(x, y);
            Assert.True(Close(TestData.ReferenceDistance(VectorMetric.L2, x, y), Distance.L2Squared(x, y), scale), $"L2 at dimension {dim}");
            Assert.True(Close(1 - TestData.ReferenceDistance(VectorMetric.InnerProduct, x, y), Distance.Dot(x, y), scale), $"dot at dimension {dim}");
        }
    }

    [Fact]
    public void Each_register_width_matches_the_reference_at_every_tail_length()
    {
        // The dispatcher picks the widest width, so the narrower one is called directly to be tested too.
        var (a, b, _) = Pair(301, 0, 11);
        for (var dim = 16; dim <= 300; dim++)
        {
            var x = a.AsSpan(1, dim);
            var y = b.AsSpan(0, dim);
            var scale = Scale(x, y);
            var l2 = TestData.ReferenceDistance(VectorMetric.L2, x, y);
            var dot = 1 - TestData.ReferenceDistance(VectorMetric.InnerProduct, x, y);
            if (Lanes512.IsSupported)
            {
                Assert.True(Close(l2, Distance.L2Squared<Lanes512, Vector512<float>>(ref x[0], ref y[0], (nuint)dim), scale), $"L2, 16 lanes, dimension {dim}");
                Assert.True(Close(dot, Distance.Dot<Lanes512, Vector512<float>>(ref x[0], ref y[0], (nuint)dim), scale), $"dot, 16 lanes, dimension {dim}");
            }

            if (Lanes256.IsSupported)
            {
                Assert.True(Close(l2, Distance.L2Squared<Lanes256, Vector256<float>>(ref x[0], ref y[0], (nuint)dim), scale), $"L2, 8 lanes, dimension {dim}");
                Assert.True(Close(dot, Distance.Dot<Lanes256, Vector256<float>>(ref x[0], ref y[0], (nuint)dim), scale), $"dot, 8 lanes, dimension {dim}");
            }
        }
    }

    [Fact]
    public void Masked_tail_ignores_values_beyond_the_vector()
    {
        var a = new float[40];
        var b = new float[40];
        Array.Fill(a, float.NaN, 17, 23);
        a[16] = 3;
        Assert.Equal(9f, Distance.L2Squared(a.AsSpan(0, 17), b.AsSpan(0, 17)));
        Assert.Equal(0f, Distance.Dot(a.AsSpan(0, 17), b.AsSpan(0, 17)));
    }

    [Fact]
    public void Space_distance_follows_the_metric()
    {
        float[] a = [3, 4];
        float[] b = [6, 8];
        Assert.Equal(25f, new VectorSpace(2, VectorMetric.L2).Distance(a, b));
        Assert.Equal(0f, new VectorSpace(2, VectorMetric.Cosine).Distance(a, b), 6);
        Assert.Equal(1f - 50f, new VectorSpace(2, VectorMetric.InnerProduct).Distance(a, b));
    }

    [Fact]
    public void Finite_check_finds_a_bad_value_at_every_position()
    {
        Assert.True(Finite.All([]));
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            for (var length = 1; length <= 70; length++)
            {
                var values = Enumerable.Range(0, length).Select(i => (float)i - 30).ToArray();
                Assert.True(Finite.All(values));
                for (var position = 0; position < length; position++)
                {
                    var copy = (float[])values.Clone();
                    copy[position] = bad;
                    Assert.False(Finite.All(copy), $"{bad} at {position} of {length}");
                }
            }
        }
    }

    [Property(MaxTest = 200)]
    public Property Row_distances_match_the_scalar_reference_for_every_row() =>
        Prop.ForAll(
            (from dim in Gen.Choose(1, 1100)
             from rows in Gen.Choose(0, 11)
             from metric in Gen.Elements(VectorMetric.L2, VectorMetric.InnerProduct)
             from seed in Gen.Choose(0, int.MaxValue)
             select (dim, rows, metric, seed)).ToArbitrary(),
            p =>
            {
                // The rows follow one another from an odd offset, so that loads are unaligned.
                var random = new Random(p.seed);
                var query = new float[p.dim];
                var stored = new float[2 + (p.rows * p.dim)];
                foreach (var array in new[] { query, stored })
                {
                    for (var i = 0; i < array.Length; i++)
                    {
                        array[i] = (float)((random.NextDouble() * 2) - 1);
                    }
                }

                var into = new float[p.rows];
                RowDistances.Compute(p.metric, ref query[0], ref stored[1], p.dim, into);
                for (var r = 0; r < p.rows; r++)
                {
                    var row = stored.AsSpan(1 + (r * p.dim), p.dim);
                    var expected = TestData.ReferenceDistance(p.metric, query, row);
                    if (!Close(expected, into[r], Scale(query, row)))
                    {
                        return false;
                    }
                }

                return true;
            });
}
