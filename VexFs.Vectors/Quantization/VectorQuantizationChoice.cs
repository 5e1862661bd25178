namespace VexFs.Vectors.Quantization;

/// <summary>How <see cref="VectorQuantization.Automatic"/> chooses.</summary>
public static class VectorQuantizationChoice
{
    /// <summary>
    /// The fewest components for which <see cref="VectorQuantization.Automatic"/> chooses int8 codes. Measured
    /// (M = 16, efConstruction 200, recall@10): at 384 dimensions int8 ran 1.21x to 1.43x the float walk's QPS
    /// at ef = 64 with recall 0.002 lower, at 512 and 960 faster still; at 128 it ran 0.90x to 0.95x.
    /// </summary>
    public const int AutomaticInt8Dimension = 256;

    /// <summary>Whether the graph of an index with <paramref name="quantization"/> (resolved) is walked with codes.</summary>
    internal static bool UsesCodes(this VectorQuantization quantization) =>
        quantization is VectorQuantization.ScalarInt8 or VectorQuantization.Binary or VectorQuantization.TwoBit or VectorQuantization.FourBit;

    /// <summary>The quantization <paramref name="quantization"/> comes to for vectors of <paramref name="dimension"/> components.</summary>
    public static VectorQuantization Resolve(this VectorQuantization quantization, int dimension) =>
        quantization != VectorQuantization.Automatic ? quantization
        : dimension >= AutomaticInt8Dimension ? VectorQuantization.ScalarInt8 : VectorQuantization.None;
}
