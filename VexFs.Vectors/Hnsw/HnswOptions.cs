using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Hnsw;

/// <summary>The parameters of a hierarchical navigable small-world graph index.</summary>
public sealed record HnswOptions
{
    /// <summary>M = 16, efConstruction = 200, efSearch = 64, seed 42, automatic quantization (int8 codes from 256 dimensions).</summary>
    public static HnswOptions Default { get; } = new();

    /// <summary>Links per node on the upper layers (twice as many on the bottom layer). 2..128.</summary>
    public int M { get; init; } = 16;

    /// <summary>The candidate list size while inserting: larger builds slower and finds better links.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>The default candidate list size while searching: larger is slower and more accurate.</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>Seeds the level of each inserted node, so that single-threaded builds are reproducible.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The vector compression used to walk the graph (see <see cref="VectorQuantization.Automatic"/>).</summary>
    public VectorQuantization Quantization { get; init; } = VectorQuantization.Automatic;

    /// <summary>
    /// With quantization, the number of vectors after which the quantizer is trained; until then searches use
    /// float distances.
    /// </summary>
    public int QuantizationTrainingSize { get; init; } = 1024;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(M, 2, nameof(M));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(M, 128, nameof(M));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfConstruction, 1, nameof(EfConstruction));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfSearch, 1, nameof(EfSearch));
        ArgumentOutOfRangeException.ThrowIfLessThan(QuantizationTrainingSize, 1, nameof(QuantizationTrainingSize));
        if (Quantization is not (VectorQuantization.None or VectorQuantization.ScalarInt8 or VectorQuantization.Automatic or VectorQuantization.Binary or VectorQuantization.TwoBit or VectorQuantization.FourBit))
        {
            throw new ArgumentOutOfRangeException(nameof(Quantization), Quantization, "Unknown quantization.");
        }
    }
}
