using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VexFs.Vectors.Quantization;

/// <summary>
/// Codes of a few bits per dimension with an error bound, in the manner of RaBitQ (Gao and Long, SIGMOD 2024,
/// and its extension to more bits): a vector's offset from the centroid of the training vectors is normalized,
/// randomly rotated, and rounded to a grid of 2^B levels per component (B = 1: the signs), with four floats
/// that turn a sum over the grid into a distance estimate and bound its error.
/// </summary>
/// <remarks>
/// <para>
/// With o the rotated unit offset of a stored vector (r its length) and ô its grid point (level u − (2^B − 1)/2
/// per component, the scale chosen to bring ô nearest o in angle), the estimate of ⟨o, y⟩ for a rotated vector y
/// is ⟨ô, y⟩ / ⟨ô, o⟩, off by at most ε0 · ‖y‖ · √(1 − s²) / (s √(n − 1)) with high probability (the code's
/// error; the query's rounding to four bits adds ε0 · δ ‖ô‖ / (√12 ⟨ô, o⟩) for a step of δ between its levels), where
/// s = ⟨ô, o⟩ / ‖ô‖ (about 0.80 for one bit, 0.94 for two, 0.995 for four) and ε0 = 1.9. Under L2 the distance to
/// a query q (y its rotated offset from the centroid) is r² + ‖y‖² − 2r⟨o, y⟩; under the dot-product metrics one
/// minus ⟨c, q⟩ + r⟨o, y⟩ with y the rotated query itself.
/// </para>
/// <para>
/// The query is quantized to four bits per component (four bit planes), so that a sum over one bit plane of the
/// code takes five population counts per 64 dimensions: a one-bit code of 1,024 dimensions is 144 bytes (int8: 1,024)
/// and its estimate 80 popcounts; a four-bit one 528 bytes and 320 popcounts.
/// </para>
/// <para>
/// Code layout (<see cref="CodeSize"/> bytes, little-endian), n the rotated length:
/// <code>
/// // 0x00        B x n/8 bytes  the levels' bits: for each u64 word w of 64 components, the words of bit planes
/// //                            0 .. B-1 in turn (component i in bit i % 64 of word i / 64)
/// // Bn/8 + 0x00 f32 r²         the squared distance from the centroid
/// // Bn/8 + 0x04 f32 w          the weight of ⟨ô, y⟩: 2r / ⟨ô, o⟩
/// // Bn/8 + 0x08 f32 e          the code's error bound per unit of query length: 2r ε0 √(1 − s²) / (s √(n − 1))
/// // Bn/8 + 0x0C f32 f          the query rounding's error bound per unit of its step: ε0 w ‖ô‖ / √12
/// </code>
/// </para>
/// </remarks>
internal sealed class RotatedQuantizer : IVectorCodec
{
    /// <summary>The bytes of the four floats after the bits.</summary>
    public const int FactorBytes = 16;

    private const int QueryBits = 4;
    private const int QueryLevels = (1 << QueryBits) - 1;
    private const float ErrorConfidence = 1.9f;

    // Scales tried when rounding a unit offset to the grid: up to 1.5 times the one that puts its largest
    // component on the outermost level (beyond it a few components are clipped, the rest rounded finer).
    private const int ScaleSteps = 24;

    // Query state: 0 lowest component, 1 step between levels, 2 sum of the levels, 3 the query length the code's
    // error bound scales by, 4 the step the rounding's error bound scales by (both halved under the dot-product
    // metrics); from HeaderFloats, per 64-bit word of the code the four planes' words, lowest bit first.
    private const int HeaderFloats = 8;

    private readonly VectorMetric _metric;
    private readonly float[] _centroid;
    private readonly float[] _rotatedCentroid;
    private readonly float _centroidSquaredNorm;
    private readonly HadamardRotation _rotation;
    private readonly int _dimension;
    private readonly int _bits;
    private readonly int _padded;
    private readonly int _words;
    private readonly float _middle;

    /// <summary>
    /// Creates a quantizer of <paramref name="bits"/> bits per component around <paramref name="centroid"/>,
    /// rotating with signs drawn from <paramref name="seed"/>.
    /// </summary>
    public RotatedQuantizer(VectorMetric metric, float[] centroid, ulong seed, int bits)
    {
        if (bits is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Codes have 1, 2 or 4 bits per component.");
        }

        _metric = metric;
        _centroid = centroid;
        _bits = bits;
        _middle = ((1 << bits) - 1) / 2f;
        _dimension = centroid.Length;
        _padded = PaddedLength(_dimension);
        _words = _padded / 64;
        _rotation = new HadamardRotation(_padded, seed);
        _rotatedCentroid = new float[_padded];
        centroid.CopyTo(_rotatedCentroid, 0);
        _rotation.Apply(_rotatedCentroid);
        _centroidSquaredNorm = TensorPrimitives.Dot<float>(centroid, centroid);
    }

    /// <inheritdoc />
    public int CodeSize => CodeSizeFor(_dimension, _bits);

    /// <inheritdoc />
    public int QueryStateLength => StateLengthFor(_dimension);

    /// <summary>The centroid that stored vectors are measured from.</summary>
    public ReadOnlySpan<float> Centroid => _centroid;

    /// <summary>The seed of the rotation.</summary>
    public ulong Seed => _rotation.Seed;

    /// <summary>The bits per component.</summary>
    public int Bits => _bits;

    /// <summary>The bits per component of <paramref name="quantization"/>'s codes (0 for those not made here).</summary>
    public static int BitsOf(VectorQuantization quantization) => quantization switch
    {
        VectorQuantization.Binary => 1,
        VectorQuantization.TwoBit => 2,
        VectorQuantization.FourBit => 4,
        _ => 0,
    };

    /// <summary>The bytes of a code of <paramref name="bits"/> per component for vectors of <paramref name="dimension"/> components.</summary>
    public static int CodeSizeFor(int dimension, int bits) => (bits * PaddedLength(dimension) / 8) + FactorBytes;

    /// <summary>The floats of query state for vectors of <paramref name="dimension"/> components.</summary>
    public static int StateLengthFor(int dimension) => HeaderFloats + (PaddedLength(dimension) / 64 * QueryBits * 2);

    /// <summary>The rotated length: the next power of two, at least 64 (whole words of bits).</summary>
    public static int PaddedLength(int dimension) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, dimension));

    /// <summary>A quantizer centred on the mean of <paramref name="rows"/>.</summary>
    public static RotatedQuantizer Train(VectorMetric metric, int dimension, IEnumerable<float[]> rows, ulong seed, int bits)
    {
        var sum = new double[dimension];
        var count = 0;
        foreach (var row in rows)
        {
            for (var i = 0; i < dimension; i++)
            {
                sum[i] += row[i];
            }

            count++;
        }

        var centroid = new float[dimension];
        for (var i = 0; count > 0 && i < dimension; i++)
        {
            centroid[i] = (float)(sum[i] / count);
        }

        return new RotatedQuantizer(metric, centroid, seed, bits);
    }

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<float> vector, Span<byte> code)
    {
        Span<float> offset = stackalloc float[_padded];
        offset.Clear();
        TensorPrimitives.Subtract(vector[.._dimension], _centroid, offset[.._dimension]);
        var r = TensorPrimitives.Norm<float>(offset);
        code[..CodeSize].Clear();
        if (!(r > 0))
        {
            return;
        }

        _rotation.Apply(offset);
        TensorPrimitives.Divide(offset, r, offset);
        Span<byte> levels = stackalloc byte[_padded];
        var (dot, squaredNorm) = Round(offset, levels);
        var words = MemoryMarshal.Cast<byte, ulong>(code[..(_bits * _padded / 8)]);
        for (var i = 0; i < _padded; i++)
        {
            for (var b = 0; b < _bits; b++)
            {
                if (((levels[i] >> b) & 1) != 0)
                {
                    words[((i >> 6) * _bits) + b] |= 1UL << (i & 63);
                }
            }
        }

        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(words, words);
        }

        // s: the cosine between the grid point and the unit offset, how much of the offset the code captures.
        var s = Math.Clamp(dot / MathF.Sqrt(squaredNorm), 1e-6f, 1f);
        var factors = code.Slice(_bits * _padded / 8, FactorBytes);
        BinaryPrimitives.WriteSingleLittleEndian(factors, r * r);
        BinaryPrimitives.WriteSingleLittleEndian(factors[4..], 2 * r / dot);
        BinaryPrimitives.WriteSingleLittleEndian(factors[8..], 2 * r * ErrorConfidence * MathF.Sqrt(Math.Max(0f, 1 - (s * s))) / (s * MathF.Sqrt(_padded - 1)));
        BinaryPrimitives.WriteSingleLittleEndian(factors[12..], ErrorConfidence * (2 * r / dot) * MathF.Sqrt(squaredNorm / 12));
    }

    /// <summary>
    /// Rounds the unit vector <paramref name="unit"/> to the grid (with one bit, its signs; with more, at the scale
    /// that brings the grid point nearest in angle); returns ⟨ô, unit⟩ and ‖ô‖².
    /// </summary>
    private (float Dot, float SquaredNorm) Round(ReadOnlySpan<float> unit, Span<byte> levels)
    {
        var scale = _bits == 1 ? 0f : NearestScale(unit);
        float dot = 0, squared = 0;
        for (var i = 0; i < unit.Length; i++)
        {
            var level = _bits == 1 ? (unit[i] > 0 ? 1 : 0) : LevelAt(unit[i], scale);
            levels[i] = (byte)level;
            var grid = level - _middle;
            dot += grid * unit[i];
            squared += grid * grid;
        }

        return (dot, squared);
    }

    /// <summary>Of the scales tried, the one whose grid point comes nearest <paramref name="unit"/> in angle.</summary>
    private float NearestScale(ReadOnlySpan<float> unit)
    {
        var widest = (_middle + 0.5f) / Math.Abs(TensorPrimitives.MaxMagnitude(unit));
        var best = (Cosine: -1f, Scale: widest);
        for (var step = 1; step <= ScaleSteps; step++)
        {
            var scale = 1.5f * widest * step / ScaleSteps;
            float dot = 0, squared = 0;
            for (var i = 0; i < unit.Length; i++)
            {
                var grid = LevelAt(unit[i], scale) - _middle;
                dot += grid * unit[i];
                squared += grid * grid;
            }

            var cosine = squared > 0 ? dot / MathF.Sqrt(squared) : -1f;
            if (cosine > best.Cosine)
            {
                best = (cosine, scale);
            }
        }

        return best.Scale;
    }

    /// <summary>The level of the grid nearest <paramref name="component"/> x <paramref name="scale"/>, clamped to the grid.</summary>
    private int LevelAt(float component, float scale) =>
        (int)Math.Clamp(MathF.Floor((component * scale) + _middle + 0.5f), 0, (1 << _bits) - 1);

    /// <inheritdoc />
    public float PrepareQuery(ReadOnlySpan<float> query, Span<float> state)
    {
        Span<float> rotated = stackalloc float[_padded];
        rotated.Clear();
        float bias;
        if (_metric == VectorMetric.L2)
        {
            TensorPrimitives.Subtract(query[.._dimension], _centroid, rotated[.._dimension]);
            bias = TensorPrimitives.Dot<float>(rotated, rotated);
            state[3] = MathF.Sqrt(bias);
        }
        else
        {
            query[.._dimension].CopyTo(rotated);
            bias = 1f - TensorPrimitives.Dot(query[.._dimension], _centroid);
            state[3] = TensorPrimitives.Norm<float>(rotated) / 2;
        }

        _rotation.Apply(rotated);
        Quantize(rotated, state);
        return bias;
    }

    /// <inheritdoc />
    public float PrepareCode(ReadOnlySpan<byte> code, Span<float> state)
    {
        // The code's best reconstruction is the offset's projection on ô: r (⟨ô, o⟩ / ‖ô‖²) ô = (2r² / (w ‖ô‖²)) ô.
        var (squared, weight) = Factors(ref MemoryMarshal.GetReference(code));
        Span<float> rotated = stackalloc float[_padded];
        var gridSquared = 0f;
        for (var i = 0; i < _padded; i++)
        {
            var grid = Level(code, i) - _middle;
            rotated[i] = grid;
            gridSquared += grid * grid;
        }

        TensorPrimitives.Multiply(rotated, weight > 0 ? 2 * squared / (weight * gridSquared) : 0f, rotated);
        float bias;
        if (_metric == VectorMetric.L2)
        {
            bias = TensorPrimitives.Dot<float>(rotated, rotated);
            state[3] = MathF.Sqrt(bias);
        }
        else
        {
            // The query is the decoded vector itself: the centroid plus the offset, rotated.
            bias = 1f - (_centroidSquaredNorm + TensorPrimitives.Dot<float>(_rotatedCentroid, rotated));
            TensorPrimitives.Add(rotated, _rotatedCentroid, rotated);
            state[3] = TensorPrimitives.Norm<float>(rotated) / 2;
        }

        Quantize(rotated, state);
        return bias;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Distance(ReadOnlySpan<float> state, float bias, ref byte code)
    {
        ref var header = ref MemoryMarshal.GetReference(state);
        var sum = GridDot(ref header, ref code);
        var (squared, weight) = Factors(ref code);
        return _metric == VectorMetric.L2 ? squared + bias - (weight * sum) : bias - (0.5f * weight * sum);
    }

    /// <summary>
    /// <paramref name="estimate"/> (the <see cref="Distance"/> of the same code) less its error bound: the
    /// true distance lies above it with high probability, so a candidate whose bound exceeds a distance already
    /// measured exactly need not be read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float LowerBound(ReadOnlySpan<float> state, float estimate, ref byte code)
    {
        // The code's and the query's rounding errors are independent: their bounds add in quadrature.
        var (error, rounding) = Bounds(ref code);
        var a = error * state[3];
        var b = rounding * state[4];
        return estimate - MathF.Sqrt((a * a) + (b * b));
    }

    /// <summary>Whether the four floats of <paramref name="code"/> are finite and not negative (a code read back from a store).</summary>
    public bool HasValidFactors(ReadOnlySpan<byte> code)
    {
        var (squared, weight) = Factors(ref MemoryMarshal.GetReference(code));
        var (error, rounding) = Bounds(ref MemoryMarshal.GetReference(code));
        return float.IsFinite(squared) && float.IsFinite(weight) && float.IsFinite(error) && float.IsFinite(rounding)
            && squared >= 0 && weight >= 0 && error >= 0 && rounding >= 0;
    }

    /// <summary>⟨ô, y⟩ over the quantized rotated query y, from the bit planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float GridDot(ref float header, ref byte code) => _bits switch
    {
        1 => GridDot<OnePlane>(ref header, ref code),
        2 => GridDot<TwoPlanes>(ref header, ref code),
        _ => GridDot<FourPlanes>(ref header, ref code),
    };

    /// <summary><see cref="GridDot(ref float, ref byte)"/> for a constant number of code planes, so that the JIT unrolls them.</summary>
    private float GridDot<TPlanes>(ref float header, ref byte code)
        where TPlanes : struct, IPlaneCount
    {
        ref var planes = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref header, HeaderFloats));
        var levels = 0;
        var weighted = 0;
        ref var word = ref code;
        for (var w = 0; w < _words; w++)
        {
            ref var plane = ref Unsafe.Add(ref planes, w * QueryBits * sizeof(ulong));
            var q0 = Unsafe.ReadUnaligned<ulong>(ref plane);
            var q1 = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref plane, 8));
            var q2 = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref plane, 16));
            var q3 = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref plane, 24));
            for (var b = 0; b < TPlanes.Count; b++)
            {
                var bits = Unsafe.ReadUnaligned<ulong>(ref word);
                bits = BitConverter.IsLittleEndian ? bits : BinaryPrimitives.ReverseEndianness(bits);
                word = ref Unsafe.Add(ref word, sizeof(ulong));
                levels += BitOperations.PopCount(bits) << b;
                weighted += (BitOperations.PopCount(bits & q0)
                    + (BitOperations.PopCount(bits & q1) << 1)
                    + (BitOperations.PopCount(bits & q2) << 2)
                    + (BitOperations.PopCount(bits & q3) << 3)) << b;
            }
        }

        // y_i = low + step t_i and ô_i = u_i − m: ⟨ô, y⟩ = low (Σu − m n) + step (Σ u t − m Σ t).
        return (header * (levels - (_middle * _padded))) + (Unsafe.Add(ref header, 1) * (weighted - (_middle * Unsafe.Add(ref header, 2))));
    }

    /// <summary>The level of component <paramref name="i"/> in <paramref name="code"/>.</summary>
    private int Level(ReadOnlySpan<byte> code, int i)
    {
        var level = 0;
        for (var b = 0; b < _bits; b++)
        {
            var word = BinaryPrimitives.ReadUInt64LittleEndian(code.Slice((((i >> 6) * _bits) + b) * sizeof(ulong)));
            level |= (int)((word >> (i & 63)) & 1) << b;
        }

        return level;
    }

    /// <summary>The floats an estimate needs: r² and the weight of the grid sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (float Squared, float Weight) Factors(ref byte code)
    {
        var factors = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref code, _bits * _padded / 8), FactorBytes);
        return (BinaryPrimitives.ReadSingleLittleEndian(factors), BinaryPrimitives.ReadSingleLittleEndian(factors[4..]));
    }

    /// <summary>The floats a lower bound needs: the code's error bound and the query rounding's.</summary>
    private (float Error, float Rounding) Bounds(ref byte code)
    {
        var factors = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref code, _bits * _padded / 8), FactorBytes);
        return (BinaryPrimitives.ReadSingleLittleEndian(factors[8..]), BinaryPrimitives.ReadSingleLittleEndian(factors[12..]));
    }

    /// <summary>Writes the four-bit levels of <paramref name="rotated"/> into the state's header and bit planes.</summary>
    private void Quantize(ReadOnlySpan<float> rotated, Span<float> state)
    {
        var low = TensorPrimitives.Min(rotated);
        var high = TensorPrimitives.Max(rotated);
        var step = high > low ? (high - low) / QueryLevels : 1f;
        var planes = MemoryMarshal.Cast<float, ulong>(state.Slice(HeaderFloats, _words * QueryBits * 2));
        planes.Clear();
        var total = 0;
        for (var i = 0; i < _padded; i++)
        {
            var level = (int)Math.Clamp(MathF.Round((rotated[i] - low) / step), 0f, QueryLevels);
            total += level;
            ref var word = ref planes[(i >> 6) * QueryBits];
            var bit = 1UL << (i & 63);
            for (var b = 0; b < QueryBits; b++)
            {
                if (((level >> b) & 1) != 0)
                {
                    Unsafe.Add(ref word, b) |= bit;
                }
            }
        }

        state[0] = low;
        state[1] = step;
        state[2] = total;
        state[4] = _metric == VectorMetric.L2 ? step : step / 2;
    }

    /// <summary>The number of bit planes of a code, as a type, for <see cref="GridDot{TPlanes}"/>.</summary>
    private interface IPlaneCount
    {
        static abstract int Count { get; }
    }

    private readonly struct OnePlane : IPlaneCount
    {
        public static int Count => 1;
    }

    private readonly struct TwoPlanes : IPlaneCount
    {
        public static int Count => 2;
    }

    private readonly struct FourPlanes : IPlaneCount
    {
        public static int Count => 4;
    }
}
