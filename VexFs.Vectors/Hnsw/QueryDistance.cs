using System.Runtime.CompilerServices;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Quantization;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Hnsw;

/// <summary>
/// The distance from the current query to a stored slot. Graph searches are generic over this interface
/// and take value types, so each kind of distance gets its own specialized search loop.
/// </summary>
internal interface IQueryDistance
{
    /// <summary>The distance from the query to the vector in <paramref name="slot"/>.</summary>
    float To(int slot);

    /// <summary>A reference to the storage of <paramref name="slot"/>, for prefetching.</summary>
    ref byte Storage(int slot);

    /// <summary>The bytes of storage per slot.</summary>
    int StorageBytes { get; }
}

/// <summary>Exact float distances.</summary>
internal readonly struct FloatQueryDistance(SlotField vectors, float[] query, VectorMetric metric) : IQueryDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float To(int slot) => Distance.Compute(metric, ref query[0], ref vectors.At<float>(slot), query.Length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte Storage(int slot) => ref vectors.At(slot);

    public int StorageBytes => query.Length * sizeof(float);
}

/// <summary>Distances estimated from scalar-quantized codes.</summary>
internal readonly struct CodeQueryDistance(SlotField codes, ScalarQuantizer quantizer, float[] state, float bias) : IQueryDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float To(int slot) => quantizer.Distance(state, bias, ref codes.At(slot));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte Storage(int slot) => ref codes.At(slot);

    public int StorageBytes => quantizer.CodeSize;
}

/// <summary>
/// Distances estimated from rotated codes. A struct of its own beside <see cref="CodeQueryDistance"/> rather than
/// one generic over the codec: with a class as type argument the JIT shares one body and calls the codec through
/// its interface, where a sealed field type lets it inline the estimate into the search loop.
/// </summary>
internal readonly struct RotatedQueryDistance(SlotField codes, RotatedQuantizer quantizer, float[] state, float bias) : IQueryDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float To(int slot) => quantizer.Distance(state, bias, ref codes.At(slot));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte Storage(int slot) => ref codes.At(slot);

    public int StorageBytes => quantizer.CodeSize;
}
