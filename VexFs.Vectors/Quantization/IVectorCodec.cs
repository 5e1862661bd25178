namespace VexFs.Vectors.Quantization;

/// <summary>
/// Compresses vectors into fixed-size codes and estimates query-to-code distances without decoding.
/// </summary>
/// <remarks>
/// An index keeps one code per slot in memory and walks its graph with <see cref="Distance"/>; the float
/// vectors are consulted only to re-rank the final candidates, so they may live on the device.
/// <see cref="ScalarQuantizer"/> stores a byte per component, <see cref="RotatedQuantizer"/> a bit.
/// </remarks>
internal interface IVectorCodec
{
    /// <summary>The bytes of one code.</summary>
    int CodeSize { get; }

    /// <summary>The floats of per-query state that <see cref="PrepareQuery"/> writes.</summary>
    int QueryStateLength { get; }

    /// <summary>Encodes a prepared vector.</summary>
    void Encode(ReadOnlySpan<float> vector, Span<byte> code);

    /// <summary>Precomputes what <see cref="Distance"/> needs for <paramref name="query"/>; returns a constant term.</summary>
    float PrepareQuery(ReadOnlySpan<float> query, Span<float> state);

    /// <summary>
    /// As <see cref="PrepareQuery"/> for the vector a stored code stands for, so that <see cref="Distance"/> then
    /// measures between two codes (a graph built without the float vectors).
    /// </summary>
    float PrepareCode(ReadOnlySpan<byte> code, Span<float> state);

    /// <summary>The estimated distance between the prepared query and one code.</summary>
    float Distance(ReadOnlySpan<float> state, float bias, ref byte code);
}
