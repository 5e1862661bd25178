namespace VexFs.Vectors;

/// <summary>A set of vectors keyed by 64-bit ids that answers nearest-neighbor queries.</summary>
/// <remarks>
/// Implementations are safe for concurrent use: searches run in parallel with each other and with changes.
/// Vectors are validated on the way in: a wrong dimension, an empty vector or a NaN or infinite component
/// raises <see cref="ArgumentException"/>, an unknown id raises <see cref="KeyNotFoundException"/>.
/// </remarks>
public interface IVectorIndex
{
    /// <summary>The dimension and metric of the stored vectors.</summary>
    VectorSpace Space { get; }

    /// <summary>The number of stored vectors.</summary>
    int Count { get; }

    /// <summary>Stores <paramref name="vector"/> under a new <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">The id is already present or the vector is invalid.</exception>
    void Add(long id, ReadOnlySpan<float> vector);

    /// <summary>Replaces the vector stored under <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No vector is stored under the id.</exception>
    void Update(long id, ReadOnlySpan<float> vector);

    /// <summary>Removes the vector stored under <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No vector is stored under the id.</exception>
    void Remove(long id);

    /// <summary>Whether a vector is stored under <paramref name="id"/>.</summary>
    bool Contains(long id);

    /// <summary>Copies the stored form of the vector under <paramref name="id"/> (unit length under cosine).</summary>
    /// <exception cref="KeyNotFoundException">No vector is stored under the id.</exception>
    float[] GetVector(long id);

    /// <summary>
    /// The (at most) <paramref name="k"/> stored vectors nearest to <paramref name="query"/>, nearest first,
    /// restricted to those <paramref name="filter"/> admits. Fewer are returned when fewer are stored.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive.</exception>
    VectorMatch[] Search(ReadOnlySpan<float> query, int k, VectorFilter? filter = null);
}
