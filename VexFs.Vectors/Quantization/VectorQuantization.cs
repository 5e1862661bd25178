namespace VexFs.Vectors.Quantization;

/// <summary>How an approximate index compresses the vectors it walks its graph with.</summary>
public enum VectorQuantization
{
    /// <summary>The graph is walked with the float vectors themselves.</summary>
    None = 0,

    /// <summary>
    /// One byte per component (per-dimension min/step scalar quantization). Once the codes are trained the graph
    /// is built and walked with them, and the best candidates are re-ranked with exact float distances.
    /// </summary>
    ScalarInt8 = 1,

    /// <summary>
    /// <see cref="ScalarInt8"/> for vectors of <see cref="VectorQuantizationChoice.AutomaticInt8Dimension"/> components or more, where the
    /// walk with codes and exact re-ranking measured faster than the float walk at the same recall from
    /// efSearch = 64 (the default) up; <see cref="None"/> below, where it did not measure faster. An index
    /// resolves it when created: its <c>Options</c> name the choice made.
    /// </summary>
    Automatic = 2,

    /// <summary>
    /// One bit per component of the randomly rotated offset from the training vectors' centroid, with four
    /// floats per vector that scale the estimate and bound its error (in the manner of RaBitQ). A 1,024-dimension
    /// vector takes 144 bytes, a seventh of its int8 code, so that the codes of ten million 2,048-dimension
    /// vectors fit in memory (2.7 GB) with the floats on the device. Estimates are coarser than int8's: a search
    /// re-ranks with exact floats every candidate whose error bound does not rule it out.
    /// </summary>
    Binary = 3,

    /// <summary>
    /// As <see cref="Binary"/> with two bits per rotated component (four levels): estimates with about half the
    /// error for twice the bytes (a 1,024-dimension code is 272 bytes).
    /// </summary>
    TwoBit = 4,

    /// <summary>
    /// As <see cref="Binary"/> with four bits per rotated component (sixteen levels): estimates with about a
    /// seventh of the error for four times the bytes (a 1,024-dimension code is 528 bytes, about half its int8 code).
    /// </summary>
    FourBit = 5,
}
