using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Tests;

public sealed class ScalarQuantizerTests
{
    private static Arbitrary<(int Dimension, int Seed, VectorMetric Metric)> Cases() =>
        (from dim in Gen.Choose(1, 300)
         from seed in Gen.Choose(0, int.MaxValue)
         from metric in Gen.Elements(VectorMetric.L2, VectorMetric.InnerProduct)
         select (dim, seed, metric)).ToArbitrary();

    [Property(MaxTest = 100)]
    public Property Codes_decode_to_within_half_a_step_of_the_training_data() =>
        Prop.ForAll(Cases(), c =>
        {
            var rows = TestData.Mixture(50, c.Dimension, c.Seed % 1000 + 1);
            var quantizer = ScalarQuantizer.Train(c.Metric, c.Dimension, rows);
            var code = new byte[quantizer.CodeSize];
            var decoded = new float[c.Dimension];
            foreach (var row in rows)
            {
                quantizer.Encode(row, code);
                quantizer.Decode(code, decoded);
                for (var i = 0; i < c.Dimension; i++)
                {
                    Assert.True(Math.Abs(row[i] - decoded[i]) <= (quantizer.Step[i] * 0.5f) + 1e-5f);
                }
            }
        });

    [Property(MaxTest = 100)]
    public Property Asymmetric_distance_equals_the_distance_to_the_decoded_vector() =>
        Prop.ForAll(Cases(), c =>
        {
            var rows = TestData.Mixture(30, c.Dimension, c.Seed % 1000 + 1);
            var quantizer = ScalarQuantizer.Train(c.Metric, c.Dimension, rows);
            var query = rows[0];
            var state = new float[quantizer.QueryStateLength];
            var bias = quantizer.PrepareQuery(query, state);
            var code = new byte[quantizer.CodeSize];
            var decoded = new float[c.Dimension];
            foreach (var row in rows.Skip(1))
            {
                quantizer.Encode(row, code);
                quantizer.Decode(code, decoded);
                var expected = Distance.Compute(c.Metric, query, decoded);
                var actual = quantizer.Distance(state, bias, ref code[0]);
                Assert.True(Math.Abs(expected - actual) <= 1e-3 * Math.Max(1, Math.Abs(expected)), $"{expected} vs {actual}");
            }
        });

    [Fact]
    public void Each_register_width_matches_the_scalar_code_distance_at_every_tail_length()
    {
        var random = new Random(5);
        var state = Enumerable.Range(0, 600).Select(_ => (float)((random.NextDouble() * 300) - 20)).ToArray();
        var code = Enumerable.Range(0, 300).Select(_ => (byte)random.Next(256)).ToArray();
        for (var n = 16; n <= 300; n++)
        {
            // The weights of a weighted L2 state follow its n targets.
            var weighted = state.AsSpan(0, n).ToArray().Concat(state.AsSpan(300, n).ToArray()).ToArray();
            double l2 = 0, dot = 0;
            for (var i = 0; i < n; i++)
            {
                var d = (double)weighted[i] - code[i];
                l2 += d * d * weighted[n + i];
                dot += (double)state[i] * code[i];
            }

            if (Lanes512.IsSupported)
            {
                Assert.Equal(l2, ScalarQuantizer.WeightedL2<Lanes512, Vector512<float>>(ref weighted[0], ref code[0], (nuint)n), l2 * 1e-5);
                Assert.Equal(dot, ScalarQuantizer.Dot<Lanes512, Vector512<float>>(ref state[0], ref code[0], (nuint)n), Math.Abs(dot) * 1e-5 + 1e-3);
            }

            if (Lanes256.IsSupported)
            {
                Assert.Equal(l2, ScalarQuantizer.WeightedL2<Lanes256, Vector256<float>>(ref weighted[0], ref code[0], (nuint)n), l2 * 1e-5);
                Assert.Equal(dot, ScalarQuantizer.Dot<Lanes256, Vector256<float>>(ref state[0], ref code[0], (nuint)n), Math.Abs(dot) * 1e-5 + 1e-3);
            }
        }
    }

    [Fact]
    public void Values_outside_the_trained_range_are_clamped()
    {
        var quantizer = ScalarQuantizer.Train(VectorMetric.L2, 2, [[0f, 5f], [1f, 5f]]);
        var code = new byte[2];
        quantizer.Encode([3f, -4f], code);
        Assert.Equal([255, 0], code);
    }
}
