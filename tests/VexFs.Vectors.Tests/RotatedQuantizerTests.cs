using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Tests;

public sealed class RotatedQuantizerTests
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
    [InlineData(VectorMetric.L2, 100, 1)]
    [InlineData(VectorMetric.L2, 384, 1)]
    [InlineData(VectorMetric.L2, 1024, 1)]
    [InlineData(VectorMetric.InnerProduct, 384, 1)]
    [InlineData(VectorMetric.Cosine, 1000, 1)]
    [InlineData(VectorMetric.L2, 100, 2)]
    [InlineData(VectorMetric.Cosine, 1000, 2)]
    [InlineData(VectorMetric.L2, 384, 4)]
    [InlineData(VectorMetric.InnerProduct, 384, 4)]
    public void Estimates_follow_the_exact_distances_and_their_error_bounds_hold(VectorMetric metric, int dimension, int bits)
    {
        var (exact, estimated, held) = Estimates(metric, dimension, bits);

        // Theory (RaBitQ): the error is unbiased and close to normal, and the bound is 1.9 of its standard
        // deviations, so it holds for 94% of the pairs (97% on the side a lower bound needs); the query's
        // four-bit rounding comes on top. With 100 clusters in many dimensions most pairs lie at much the same
        // distance, so one bit's error is a good share of the spread.
        var errors = exact.Zip(estimated, (t, e) => e - t).ToList();
        var rms = Math.Sqrt(errors.Average(e => e * e));
        Assert.True(Math.Abs(errors.Average()) < 0.1 * rms, $"mean error {errors.Average():G4} against an RMS error of {rms:G4}");
        Assert.True(held >= 0.92, $"the error bound held for {held:P2} of the pairs");
        var correlation = Correlation(exact, estimated);
        Assert.True(correlation > (bits == 1 ? 0.85 : 0.95), $"correlation {correlation:F4}");
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    public void More_bits_give_smaller_errors_as_theory_says(VectorMetric metric)
    {
        // The error scales with √(1 − s²) / s: about 0.75 at one bit, 0.36 at two, 0.10 at four.
        var rms = new[] { 1, 2, 4 }.Select(bits =>
        {
            var (exact, estimated, _) = Estimates(metric, 512, bits);
            return Math.Sqrt(exact.Zip(estimated, (t, e) => (e - t) * (e - t)).Average());
        }).ToArray();
        Assert.True(rms[1] < 0.6 * rms[0] && rms[2] < 0.25 * rms[0], $"RMS errors at 1, 2, 4 bits: {string.Join(", ", rms.Select(r => r.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    private static (List<double> Exact, List<double> Estimated, double Held) Estimates(VectorMetric metric, int dimension, int bits)
    {
        var space = new VectorSpace(dimension, metric);
        var rows = TestData.Mixture(400, dimension, seed: 5).Select(v => Stored(space, metric, v)).ToArray();
        var queries = TestData.Mixture(20, dimension, seed: 6).Select(v => Stored(space, metric, v)).ToArray();
        var quantizer = RotatedQuantizer.Train(metric, dimension, rows, 11, bits);
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

        return (exact, estimated, (double)within / bounded);
    }

    [Fact]
    public void A_vector_at_the_centroid_estimates_its_distance_exactly()
    {
        var rows = TestData.Mixture(200, 48, seed: 9);
        var quantizer = RotatedQuantizer.Train(VectorMetric.L2, 48, rows, 3, 2);
        var centroid = quantizer.Centroid.ToArray();
        var code = Encode(quantizer, centroid);
        var state = new float[quantizer.QueryStateLength];
        var query = rows[17];
        var bias = quantizer.PrepareQuery(query, state);
        Assert.Equal(TestData.ReferenceDistance(VectorMetric.L2, query, centroid), quantizer.Distance(state, bias, ref code[0]), 2);
        Assert.Equal(quantizer.Distance(state, bias, ref code[0]), quantizer.LowerBound(state, quantizer.Distance(state, bias, ref code[0]), ref code[0]));
    }

    [Theory]
    [InlineData(VectorMetric.L2, 1)]
    [InlineData(VectorMetric.InnerProduct, 1)]
    [InlineData(VectorMetric.L2, 4)]
    public void Distances_between_two_codes_follow_the_exact_ones(VectorMetric metric, int bits)
    {
        const int Dimension = 512;
        var rows = TestData.Mixture(150, Dimension, seed: 12).Select(v => metric == VectorMetric.L2 ? v : Scaled(v, 1 / MathF.Sqrt(Dimension))).ToArray();
        var quantizer = RotatedQuantizer.Train(metric, Dimension, rows, 2, bits);
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
        Assert.True(correlation > (bits == 1 ? 0.65 : 0.95), $"correlation {correlation:F4}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Codes_are_bit_planes_of_the_rotated_levels_and_three_floats(int bits)
    {
        Assert.Equal((bits * 64 / 8) + 16, RotatedQuantizer.CodeSizeFor(3, bits));
        Assert.Equal((bits * 512 / 8) + 16, RotatedQuantizer.CodeSizeFor(384, bits));
        Assert.Equal((bits * 1024 / 8) + 16, RotatedQuantizer.CodeSizeFor(1024, bits));
        Assert.Equal((bits * 2048 / 8) + 16, RotatedQuantizer.CodeSizeFor(2048, bits));

        // The grid is symmetric about zero: a vector and its mirror image through the centroid have opposite
        // levels (u and 2^B - 1 - u: every bit plane complemented) and equal factors.
        var rows = TestData.Mixture(100, 128, seed: 1);
        var quantizer = RotatedQuantizer.Train(VectorMetric.L2, 128, rows, 5, bits);
        var centroid = quantizer.Centroid.ToArray();
        var mirror = rows[3].Select((x, i) => (2 * centroid[i]) - x).ToArray();
        var code = Encode(quantizer, rows[3]);
        var mirrored = Encode(quantizer, mirror);
        var planeBytes = bits * 128 / 8;
        for (var i = 0; i < planeBytes; i++)
        {
            Assert.Equal((byte)~code[i], mirrored[i]);
        }

        for (var f = planeBytes; f < planeBytes + 16; f += 4)
        {
            Assert.Equal(BitConverter.ToSingle(code, f), BitConverter.ToSingle(mirrored, f), 1e-4 * BitConverter.ToSingle(code, f));
        }

        var offset = rows[3].Zip(centroid, (x, c) => x - c).ToArray();
        Assert.Equal(Dot(offset, offset), BitConverter.ToSingle(code, planeBytes), 2);
        Assert.True(quantizer.HasValidFactors(code));
        BitConverter.GetBytes(float.NaN).CopyTo(code, planeBytes + 4);
        Assert.False(quantizer.HasValidFactors(code));
    }

    private static byte[] Encode(RotatedQuantizer quantizer, float[] vector)
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
