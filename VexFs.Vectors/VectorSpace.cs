using System.Globalization;

namespace VexFs.Vectors;

/// <summary>The shape of the vectors an index holds: their dimension and the metric that compares them.</summary>
public sealed class VectorSpace : IEquatable<VectorSpace>
{
    /// <summary>The largest supported dimension.</summary>
    public const int MaxDimension = 4096;

    /// <summary>Creates a space of <paramref name="dimension"/>-component vectors compared by <paramref name="metric"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is outside 1..<see cref="MaxDimension"/> or the metric is unknown.</exception>
    public VectorSpace(int dimension, VectorMetric metric)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, MaxDimension);
        if (metric is not (VectorMetric.L2 or VectorMetric.Cosine or VectorMetric.InnerProduct))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown vector metric.");
        }

        Dimension = dimension;
        Metric = metric;
    }

    /// <summary>The number of components of every vector.</summary>
    public int Dimension { get; }

    /// <summary>The distance measure.</summary>
    public VectorMetric Metric { get; }

    /// <summary>The distance between two vectors of this space, as an index would report it.</summary>
    /// <exception cref="ArgumentException">A vector has the wrong dimension or a NaN or infinite component, or is zero under <see cref="VectorMetric.Cosine"/>.</exception>
    public float Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Span<float> preparedA = new float[Dimension];
        Span<float> preparedB = new float[Dimension];
        Prepare(a, preparedA, nameof(a));
        Prepare(b, preparedB, nameof(b));
        return Kernels.Distance.Compute(Metric, preparedA, preparedB);
    }

    /// <summary>
    /// Checks <paramref name="vector"/> and returns it in the stored form (unit length under
    /// <see cref="VectorMetric.Cosine"/>), as an index would keep it.
    /// </summary>
    /// <exception cref="ArgumentException">The vector is empty, has the wrong dimension or a NaN or infinite component, or is zero under <see cref="VectorMetric.Cosine"/>.</exception>
    public float[] ToStored(ReadOnlySpan<float> vector, string parameterName = "vector")
    {
        var stored = new float[Dimension];
        Prepare(vector, stored, parameterName);
        return stored;
    }

    /// <inheritdoc />
    public bool Equals(VectorSpace? other) =>
        other is not null && other.Dimension == Dimension && other.Metric == Metric;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as VectorSpace);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Dimension, Metric);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Metric}/{Dimension}");

    /// <summary>
    /// Checks <paramref name="vector"/> and copies it into <paramref name="destination"/> in the stored form
    /// (unit length under <see cref="VectorMetric.Cosine"/>).
    /// </summary>
    internal void Prepare(ReadOnlySpan<float> vector, Span<float> destination, string parameterName)
    {
        if (vector.IsEmpty)
        {
            throw new ArgumentException("The vector is empty.", parameterName);
        }

        if (vector.Length != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The vector has {vector.Length} components; this index holds {Dimension}-component vectors."),
                parameterName);
        }

        if (!Kernels.Finite.All(vector))
        {
            var i = 0;
            while (float.IsFinite(vector[i]))
            {
                i++;
            }

            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Component {i} of the vector is {vector[i]}; only finite values are allowed."),
                parameterName);
        }

        // The destination may be longer (a pooled buffer): only its first Dimension floats are the vector.
        destination = destination[..Dimension];
        vector.CopyTo(destination);
        if (Metric == VectorMetric.Cosine)
        {
            var norm = MathF.Sqrt(Kernels.Distance.Dot(destination, destination));
            if (norm == 0 || !float.IsFinite(norm))
            {
                throw new ArgumentException("A zero vector has no direction and cannot be compared by cosine distance.", parameterName);
            }

            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] /= norm;
            }
        }
    }
}
