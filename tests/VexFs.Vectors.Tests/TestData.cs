namespace VexFs.Vectors.Tests;

/// <summary>Deterministic Gaussian-mixture vectors and a brute-force oracle computed in double precision.</summary>
internal static class TestData
{
    /// <summary>
    /// Vectors drawn from a mixture of <paramref name="clusters"/> Gaussians whose centres lie in [-1, 1] and
    /// whose per-axis spreads follow a gamma(2, 0.3) law, so that clusters overlap and a few directions dominate.
    /// </summary>
    public static float[][] Mixture(int count, int dimension, int seed, int clusters = 100)
    {
        // Centres and spreads depend on the dimension only, so base vectors and queries share a mixture.
        var shape = new Random(dimension);
        var centres = new float[clusters][];
        var spreads = new float[clusters][];
        for (var c = 0; c < clusters; c++)
        {
            centres[c] = new float[dimension];
            spreads[c] = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                centres[c][i] = (float)((shape.NextDouble() * 2) - 1);
                spreads[c][i] = (float)(-0.3 * (Math.Log(1 - shape.NextDouble()) + Math.Log(1 - shape.NextDouble())));
            }
        }

        var random = new Random(seed);
        var vectors = new float[count][];
        for (var v = 0; v < count; v++)
        {
            var c = random.Next(clusters);
            vectors[v] = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                vectors[v][i] = centres[c][i] + (float)(Gaussian(random) * spreads[c][i]);
            }
        }

        return vectors;
    }

    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double ReferenceDistance(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0, dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return metric switch
        {
            VectorMetric.L2 => sum,
            VectorMetric.InnerProduct => 1 - dot,
            _ => 1 - (dot / Math.Sqrt(na * nb)),
        };
    }

    /// <summary>The ids of the <paramref name="k"/> nearest vectors, nearest first.</summary>
    public static long[] BruteForce(IReadOnlyDictionary<long, float[]> vectors, VectorMetric metric, float[] query, int k, Func<long, bool>? filter = null) =>
        [.. vectors.Where(p => filter is null || filter(p.Key))
            .Select(p => (p.Key, Distance: ReferenceDistance(metric, query, p.Value)))
            .OrderBy(p => p.Distance).ThenBy(p => p.Key)
            .Take(k).Select(p => p.Key)];

    public static double Recall(IReadOnlyList<long[]> truth, IReadOnlyList<VectorMatch[]> found)
    {
        double hits = 0, total = 0;
        for (var q = 0; q < truth.Count; q++)
        {
            var set = truth[q].ToHashSet();
            hits += found[q].Count(m => set.Contains(m.Id));
            total += truth[q].Length;
        }

        return total == 0 ? 1 : hits / total;
    }
}
