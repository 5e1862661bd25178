namespace VexFs.Vectors.Quantization;

/// <summary>How an approximate index compresses the vectors it walks its graph with.</summary>
public enum VectorQuantization
{
    /// <summary>The graph is walked with the float vectors themselves.</summary>
    None = 0,

    /// <summary>
    /// One byte per component (per-dimension min/step scalar quantization). The graph is walked with the codes
    /// and the best candidates are re-ranked with exact float distances.
    /// </summary>
    ScalarInt8 = 1,
}
