using VexFs.Vectors.Flat;
using VexFs.Vectors.Kernels;

namespace VexFs.Vectors.Tests;

/// <summary>
/// The integer kernel against plain arithmetic, and searches screened by byte codes against a brute force in
/// double precision, on data chosen to break the bounds: rows far outside the range the codes were trained on,
/// duplicates, queries on a row and far from all, filters, updates and removals.
/// </summary>
public sealed class ScreeningCodesTests
{
    [Fact]
    public void Code_dots_equal_integer_arithmetic_for_every_stride_and_row_count()
    {
        Assert.SkipUnless(CodeDots.IsSupported, "the processor has no AVX-VNNI");
        var random = new Random(5);
        foreach (var stride in new[] { 32, 64, 96, 128, 384, 960, 4096 })
        {
            var query = new sbyte[stride];
            for (var i = 0; i < stride; i++)
            {
                query[i] = (sbyte)random.Next(-127, 128);
            }

            query[0] = -127;
            foreach (var rows in new[] { 1, 3, 4, 5, 9, 64 })
            {
                var codes = new byte[rows * stride];
                random.NextBytes(codes);
                codes[0] = 255;
                var into = new int[rows];
                CodeDots.Compute(ref query[0], ref codes[0], stride, into);
                for (var r = 0; r < rows; r++)
                {
                    long expected = 0;
                    for (var i = 0; i < stride; i++)
                    {
                        expected += query[i] * codes[(r * stride) + i];
                    }

                    Assert.Equal(expected, into[r]);
                    Assert.Equal(expected, CodeDots.Compute(ref query[0], ref codes[r * stride], stride));
                }

                if (rows >= 4)
                {
                    // Four rows wherever they lie, here in reverse order.
                    var four = new int[4];
                    CodeDots.Compute(ref query[0], ref codes[(rows - 1) * stride], ref codes[(rows - 2) * stride], ref codes[(rows - 3) * stride], ref codes[(rows - 4) * stride], stride, four);
                    Assert.Equal([into[rows - 1], into[rows - 2], into[rows - 3], into[rows - 4]], four);
                }
            }
        }
    }

    [Theory]
    [InlineData(VectorMetric.L2, 3)]
    [InlineData(VectorMetric.L2, 128)]
    [InlineData(VectorMetric.L2, 384)]
    [InlineData(VectorMetric.L2, 960)]
    [InlineData(VectorMetric.Cosine, 17)]
    [InlineData(VectorMetric.Cosine, 384)]
    [InlineData(VectorMetric.InnerProduct, 100)]
    public void Screened_searches_return_the_exact_nearest_through_changes(VectorMetric metric, int dimension)
    {
        var space = new VectorSpace(dimension, metric);
        using var index = new FlatIndex(space);
        var model = new Dictionary<long, float[]>();
        var random = new Random(dimension);
        var mixture = TestData.Mixture(3000, dimension, seed: 21);
        var queries = TestData.Mixture(20, dimension, seed: 22);

        // Codes are trained at 256, 512, 1,024 and 2,048 rows; then rows twenty times wider (whose codes clamp),
        // duplicates and near-duplicates arrive.
        for (var i = 0; i < mixture.Length; i++)
        {
            var vector = i switch
            {
                >= 2100 and < 2300 => [.. mixture[i].Select(x => x * 20)],
                >= 2300 and < 2500 => mixture[i % 50],
                >= 2500 and < 2600 => [.. mixture[i % 50].Select(x => x + 1e-6f)],
                _ => mixture[i],
            };
            index.Add(i, vector);
            model[i] = vector;
            if (i is 100 or 300 or 1000 or 2999)
            {
                Check(index, model, metric, queries, random);
            }
        }

        for (var i = 0; i < 600; i++)
        {
            var id = random.Next(3000);
            if (!model.ContainsKey(id))
            {
                continue;
            }

            if (i % 2 == 0)
            {
                index.Remove(id);
                model.Remove(id);
            }
            else
            {
                var vector = mixture[random.Next(mixture.Length)].Select(x => -3 * x).ToArray();
                index.Update(id, vector);
                model[id] = vector;
            }
        }

        Check(index, model, metric, queries, random);
    }

    [Fact]
    public void A_query_equal_to_a_row_finds_it_at_distance_zero_and_a_far_query_still_finds_the_nearest()
    {
        using var index = new FlatIndex(new VectorSpace(64, VectorMetric.L2));
        var vectors = TestData.Mixture(1000, 64, seed: 23);
        var model = new Dictionary<long, float[]>();
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(i, vectors[i]);
            model[i] = vectors[i];
        }

        var found = index.Search(vectors[777], 1);
        Assert.Equal(777, found[0].Id);
        Assert.Equal(0f, found[0].Distance);

        // Far away, all distances are large and close together in relative terms.
        var far = vectors[5].Select(x => x + 1000f).ToArray();
        AssertNearest(index.Search(far, 10), model.ToDictionary(p => p.Key, p => TestData.ReferenceDistance(VectorMetric.L2, far, p.Value)), 10);
    }

    /// <summary>Each search against a brute force in double precision: the k nearest, up to float rounding at ties.</summary>
    private static void Check(FlatIndex index, Dictionary<long, float[]> model, VectorMetric metric, float[][] queries, Random random)
    {
        // Beside the mixture's queries: a stored row, and rows far outside the trained range (their codes clamp).
        var rows = model.Where(p => p.Key is 0 or (>= 2100 and < 2103)).Select(p => p.Value);
        foreach (var query in queries.Concat(rows))
        {
            foreach (var k in new[] { 1, 10, 100 })
            {
                var modulus = random.Next(1, 4);
                Func<long, bool>? admits = modulus == 1 ? null : id => id % modulus == 0;
                var found = index.Search(query, k, admits is null ? null : VectorFilter.Where(admits));
                var reference = model
                    .Where(p => admits is null || admits(p.Key))
                    .ToDictionary(p => p.Key, p => TestData.ReferenceDistance(metric, query, p.Value));
                AssertNearest(found, reference, k);
            }
        }
    }

    /// <summary>
    /// <paramref name="found"/> holds min(k, in scope) distinct ids in scope, each at its reference distance and
    /// none beyond the k-th nearest reference distance (up to float rounding).
    /// </summary>
    private static void AssertNearest(VectorMatch[] found, Dictionary<long, double> reference, int k)
    {
        var sorted = reference.Values.Order().ToList();
        Assert.Equal(Math.Min(k, sorted.Count), found.Length);
        Assert.Equal(found.Length, found.Select(m => m.Id).Distinct().Count());
        var kth = sorted[found.Length - 1];
        foreach (var match in found)
        {
            Assert.True(reference.TryGetValue(match.Id, out var exact), $"id {match.Id} is not in scope");
            var tolerance = 1e-5 * (Math.Abs(exact) + 1);
            Assert.True(Math.Abs(match.Distance - exact) <= tolerance, $"id {match.Id}: distance {match.Distance}, expected {exact}");
            Assert.True(exact <= kth + tolerance, $"id {match.Id} at {exact} is beyond the k-th nearest {kth} (k = {k})");
        }
    }
}
