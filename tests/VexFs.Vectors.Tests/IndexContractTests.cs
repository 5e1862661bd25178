namespace VexFs.Vectors.Tests;

/// <summary>What every index promises, run over each kind of index.</summary>
public abstract class IndexContractTests
{
    protected abstract IVectorIndex Create(VectorSpace space);

    [Fact]
    public void Wrong_dimension_is_an_argument_error()
    {
        var index = Create(new VectorSpace(4, VectorMetric.L2));
        Assert.Throws<ArgumentException>(() => index.Add(1, new float[3]));
        Assert.Throws<ArgumentException>(() => index.Search(new float[5], 1));
    }

    [Fact]
    public void Empty_query_is_an_argument_error()
    {
        var index = Create(new VectorSpace(4, VectorMetric.L2));
        index.Add(1, [1, 2, 3, 4]);
        Assert.Throws<ArgumentException>(() => index.Search([], 1));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_values_are_argument_errors(float value)
    {
        var index = Create(new VectorSpace(4, VectorMetric.L2));
        index.Add(1, [1, 2, 3, 4]);
        Assert.Throws<ArgumentException>(() => index.Add(2, [1, value, 3, 4]));
        Assert.Throws<ArgumentException>(() => index.Search([value, 0, 0, 0], 1));
        Assert.Throws<ArgumentException>(() => index.Update(1, [0, 0, 0, value]));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Zero_vector_is_rejected_under_cosine()
    {
        var index = Create(new VectorSpace(3, VectorMetric.Cosine));
        Assert.Throws<ArgumentException>(() => index.Add(1, new float[3]));
    }

    [Fact]
    public void Unknown_ids_are_key_errors()
    {
        var index = Create(new VectorSpace(2, VectorMetric.L2));
        index.Add(1, [1, 1]);
        Assert.Throws<KeyNotFoundException>(() => index.Update(2, [1, 1]));
        Assert.Throws<KeyNotFoundException>(() => index.Remove(2));
        Assert.Throws<KeyNotFoundException>(() => index.GetVector(2));
        index.Remove(1);
        Assert.Throws<KeyNotFoundException>(() => index.Remove(1));
        Assert.False(index.Contains(1));
    }

    [Fact]
    public void Duplicate_id_is_an_argument_error()
    {
        var index = Create(new VectorSpace(2, VectorMetric.L2));
        index.Add(1, [1, 1]);
        Assert.Throws<ArgumentException>(() => index.Add(1, [2, 2]));
    }

    [Fact]
    public void Non_positive_k_is_out_of_range()
    {
        var index = Create(new VectorSpace(2, VectorMetric.L2));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 1], 0));
    }

    [Fact]
    public void K_larger_than_the_count_returns_what_there_is()
    {
        var index = Create(new VectorSpace(2, VectorMetric.L2));
        Assert.Empty(index.Search([0, 0], 5));
        index.Add(10, [1, 0]);
        index.Add(20, [3, 0]);
        index.Add(30, [2, 0]);
        var result = index.Search([0, 0], 10);
        Assert.Equal([10L, 30L, 20L], result.Select(m => m.Id));
        Assert.Equal([1f, 4f, 9f], result.Select(m => m.Distance));
    }

    [Fact]
    public void Cosine_vectors_are_stored_at_unit_length()
    {
        var index = Create(new VectorSpace(2, VectorMetric.Cosine));
        index.Add(7, [3, 4]);
        Assert.Equal([0.6f, 0.8f], index.GetVector(7));
        var best = index.Search([30, 40], 1).Single();
        Assert.Equal(7, best.Id);
        Assert.Equal(0f, best.Distance, 5);
    }

    [Fact]
    public void Update_moves_a_vector_and_remove_forgets_it()
    {
        var index = Create(new VectorSpace(2, VectorMetric.L2));
        for (var i = 0; i < 50; i++)
        {
            index.Add(i, [i, 0]);
        }

        index.Update(3, [100, 0]);
        Assert.Equal(3, index.Search([99, 0], 1)[0].Id);
        Assert.Equal([100f, 0f], index.GetVector(3));
        index.Remove(49);
        Assert.Equal(3, index.Search([99, 0], 1)[0].Id);
        Assert.Equal(49, index.Count);
        Assert.DoesNotContain(index.Search([49, 0], 49), m => m.Id == 49);
    }

    [Fact]
    public void Filter_admits_only_what_it_admits()
    {
        var index = Create(new VectorSpace(8, VectorMetric.L2));
        var vectors = TestData.Mixture(2000, 8, seed: 3);
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(i * 3, vectors[i]);
        }

        var even = VectorFilter.Where(id => id % 2 == 0);
        var few = VectorFilter.In([3, 300, 3000, 5997, 12345]);
        foreach (var query in TestData.Mixture(20, 8, seed: 4))
        {
            var a = index.Search(query, 10, even);
            Assert.Equal(10, a.Length);
            Assert.All(a, m => Assert.True(m.Id % 2 == 0));
            var b = index.Search(query, 10, few);
            Assert.Equal([3L, 300L, 3000L, 5997L], b.Select(m => m.Id).Order());
        }
    }
}
