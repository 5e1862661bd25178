using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Tests;

public sealed class BinaryQuantizerTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(1024)]
    public void The_rotation_keeps_lengths_and_angles_and_depends_on_the_seed_only(int length)
    {
        var random = new Random(length);
        var a = Enumerable.Range(0, length).Select(_ => (float)TestData.Gaussian(random)).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (float)TestData.Gaussian(random)).ToArray();
        var ra = (float[])a.Clone();
        var rb = (float[])b.Clone();
        var rotation = new HadamardRotation(length, 7);
        rotation.Apply(ra);
        rotation.Apply(rb);
        Assert.Equal(Dot(a, a), Dot(ra, ra), 1e-3 * Dot(a, a));
        Assert.Equal(Dot(a, b), Dot(ra, rb), 1e-3 * Math.Sqrt(Dot(a, a) * Dot(b, b)));
        Assert.NotEqual(a, ra);

        var again = (float[])a.Clone();
        new HadamardRotation(length, 7).Apply(again);
        Assert.Equal(ra, again);
        var other = (float[])a.Clone();
        new HadamardRotation(length, 8).Apply(other);
        Assert.NotEqual(ra, other);
    }

    [Theory]
    [InlineData(VectorMetric.L2, 100)]
    [InlineData(VectorMetric.L2, 384)]
    [InlineData(VectorMetric.L2, 1024)]
    [InlineData(VectorMetric.InnerProduct, 384)]
    [InlineData(VectorMetric.Cosine, 1000)]
    public void Estimates_follow_the_exact_distances_and_their_lower_bounds_hold(VectorMetric metric, int dimension)
    {
        var space = new VectorSpace(dimension, metric);
        var rows = TestData.Mixture(400, dimension, seed: 5).Select(v => Stored(space, metric, v)).ToArray();
        var queries = TestData.Mixture(20, dimension, seed: 6).Select(v => Stored(space, metric, v)).ToArray();
        var quantizer = BinaryQuantizer.Train(metric, dimension, rows, 11);
        var codes = rows.Select(r => Encode(quantizer, r)).ToArray();
        var state = new float[quantizer.QueryStateLength];
        var exact = new List<double>();
        var estimated = new List<double>();
        var within = 0;
        var bounded = 0;
        foreach (var query in queries)
        {
            var bias = quantizer.PrepareQuery(query, state);
            for (var i = 0; i < rows.Length; i++)
            {
                var truth = TestData.ReferenceDistance(metric == VectorMetric.Cosine ? VectorMetric.InnerProduct : metric, query, rows[i]);
                var estimate = quantizer.Distance(state, bias, ref codes[i][0]);
                var bound = estimate - quantizer.LowerBound(state, estimate, ref codes[i][0]);
                exact.Add(truth);
                estimated.Add(estimate);
                bounded++;
                within += Math.Abs(estimate - truth) <= bound + 1e-4 ? 1 : 0;
            }
        }

        // Theory (RaBitQ): the error is unbiased and close to normal, and the bound is 1.9 of its standard
        // deviations, so it holds for 94% of the pairs (97% on the side a lower bound needs); the query's
        // four-bit rounding comes on top. With 100 clusters in many
        // dimensions most pairs lie at much the same distance, so the error is a good share of the spread.
        var errors = exact.Zip(estimated, (t, e) => e - t).ToList();
        var rms = Math.Sqrt(errors.Average(e => e * e));
        Assert.True(Math.Abs(errors.Average()) < 0.1 * rms, $"mean error {errors.Average():G4} against an RMS error of {rms:G4}");
        var held = (double)within / bounded;
        Assert.True(held >= 0.92, $"the error bound held for {held:P2} of the pairs");
        var correlation = Correlation(exact, estimated);
        Assert.True(correlation > 0.85, $"correlation {correlation:F4}");
    }

    [Fact]
    public void A_vector_at_the_centroid_estimates_its_distance_exactly()
    {
        var rows = TestData.Mixture(200, 48, seed: 9);
        var quantizer = BinaryQuantizer.Train(VectorMetric.L2, 48, rows, 3);
        var centroid = quantizer.Centroid.ToArray();
        var code = Encode(quantizer, centroid);
        var state = new float[quantizer.QueryStateLength];
        var query = rows[17];
        var bias = quantizer.PrepareQuery(query, state);
        Assert.Equal(TestData.ReferenceDistance(VectorMetric.L2, query, centroid), quantizer.Distance(state, bias, ref code[0]), 2);
        Assert.Equal(quantizer.Distance(state, bias, ref code[0]), quantizer.LowerBound(state, quantizer.Distance(state, bias, ref code[0]), ref code[0]));
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.InnerProduct)]
    public void Distances_between_two_codes_follow_the_exact_ones(VectorMetric metric)
    {
        const int Dimension = 512;
        var rows = TestData.Mixture(150, Dimension, seed: 12).Select(v => metric == VectorMetric.L2 ? v : Scaled(v, 1 / MathF.Sqrt(Dimension))).ToArray();
        var quantizer = BinaryQuantizer.Train(metric, Dimension, rows, 2);
        var codes = rows.Select(r => Encode(quantizer, r)).ToArray();
        var state = new float[quantizer.QueryStateLength];
        var exact = new List<double>();
        var estimated = new List<double>();
        for (var a = 0; a < 30; a++)
        {
            var bias = quantizer.PrepareCode(codes[a], state);
            for (var b = 30; b < rows.Length; b++)
            {
                exact.Add(TestData.ReferenceDistance(metric, rows[a], rows[b]));
                estimated.Add(quantizer.Distance(state, bias, ref codes[b][0]));
            }
        }

        // Both sides are estimates here, so the error is about twice a query's.
        var correlation = Correlation(exact, estimated);
        Assert.True(correlation > 0.65, $"correlation {correlation:F4}");
    }

    [Fact]
    public void Codes_are_a_bit_per_rotated_component_and_three_floats()
    {
        Assert.Equal((64 / 8) + 12, BinaryQuantizer.CodeSizeFor(3));
        Assert.Equal((512 / 8) + 12, BinaryQuantizer.CodeSizeFor(384));
        Assert.Equal((1024 / 8) + 12, BinaryQuantizer.CodeSizeFor(1024));
        Assert.Equal((2048 / 8) + 12, BinaryQuantizer.CodeSizeFor(2048));

        // The bits are the signs of the rotated offset: a vector and its mirror image through the centroid
        // have complementary bits and equal factors.
        var rows = TestData.Mixture(100, 64, seed: 1);
        var quantizer = BinaryQuantizer.Train(VectorMetric.L2, 64, rows, 5);
        var centroid = quantizer.Centroid.ToArray();
        var mirror = rows[3].Select((x, i) => (2 * centroid[i]) - x).ToArray();
        var code = Encode(quantizer, rows[3]);
        var mirrored = Encode(quantizer, mirror);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal((byte)~code[i], mirrored[i]);
        }

        for (var f = 8; f < 20; f += 4)
        {
            Assert.Equal(BitConverter.ToSingle(code, f), BitConverter.ToSingle(mirrored, f), 1e-4 * BitConverter.ToSingle(code, f));
        }

        Assert.Equal(Dot(rows[3].Zip(centroid, (x, c) => x - c).ToArray(), rows[3].Zip(centroid, (x, c) => x - c).ToArray()), BitConverter.ToSingle(code, 8), 2);
        Assert.True(quantizer.HasValidFactors(code));
        BitConverter.GetBytes(float.NaN).CopyTo(code, 12);
        Assert.False(quantizer.HasValidFactors(code));
    }

    private static byte[] Encode(BinaryQuantizer quantizer, float[] vector)
    {
        var code = new byte[quantizer.CodeSize];
        quantizer.Encode(vector, code);
        return code;
    }

    private static float[] Stored(VectorSpace space, VectorMetric metric, float[] vector) =>
        metric switch
        {
            VectorMetric.Cosine => space.ToStored(vector),
            VectorMetric.InnerProduct => Scaled(vector, 1 / MathF.Sqrt(vector.Length)),
            _ => vector,
        };

    private static float[] Scaled(float[] vector, float factor) => [.. vector.Select(x => x * factor)];

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private static double Correlation(List<double> x, List<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }
}
