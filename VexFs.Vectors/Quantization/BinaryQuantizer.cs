using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VexFs.Vectors.Quantization;

/// <summary>
/// One bit per dimension with an error bound, in the manner of RaBitQ (Gao and Long, SIGMOD 2024): a vector's
/// offset from the centroid of the training vectors is normalized, randomly rotated, and stored as the signs of
/// its components, with three floats that turn a bit sum into a distance estimate and bound its error.
/// </summary>
/// <remarks>
/// <para>
/// With o the rotated unit offset of a stored vector (r its length), x̄ its signs scaled to a unit vector and
/// s = ⟨x̄, o⟩, the estimate of ⟨o, y⟩ for any rotated vector y is ⟨x̄, y⟩ / s, off by at most
/// ε0 · ‖y‖ · √(1 − s²) / (s √(n − 1)) with high probability (ε0 = 1.9). Under L2 the distance to a query q
/// (y its rotated offset from the centroid) is r² + ‖y‖² − 2r⟨o, y⟩; under the dot-product metrics one minus
/// ⟨c, q⟩ + r⟨o, y⟩ with y the rotated query itself.
/// </para>
/// <para>
/// The query is quantized to four bits per component (n × 4 bits, as four bit planes), so that ⟨x̄, y⟩ comes
/// from five population counts per 64 dimensions: a 1,024-dimension code is 140 bytes (an int8 code 1,024)
/// and its estimate 80 popcounts.
/// </para>
/// <para>
/// Code layout (<see cref="CodeSize"/> bytes, little-endian):
/// <code>
/// // 0x00        n/8 bytes   sign bits of the rotated offset, component i in bit i % 64 of u64 word i / 64
/// // n/8 + 0x00  f32 r²      the squared distance from the centroid
/// // n/8 + 0x04  f32 w       the weight of the bit sum, 2r / (s √n)
/// // n/8 + 0x08  f32 e       the error bound per unit of query length, 2r ε0 √(1 − s²) / (s √(n − 1))
/// </code>
/// </para>
/// </remarks>
internal sealed class BinaryQuantizer : IVectorCodec
{
    /// <summary>The bytes of the three floats after the bits.</summary>
    public const int FactorBytes = 12;

    private const int QueryBits = 4;
    private const int QueryLevels = (1 << QueryBits) - 1;
    private const float ErrorConfidence = 1.9f;

    // Query state: 0 lowest component, 1 step between levels, 2 sum of the levels, 3 the query length the error
    // bound scales by; from HeaderFloats, per 64-bit word of the code the four planes' words, lowest bit first.
    private const int HeaderFloats = 4;

    private readonly VectorMetric _metric;
    private readonly float[] _centroid;
    private readonly float[] _rotatedCentroid;
    private readonly float _centroidSquaredNorm;
    private readonly HadamardRotation _rotation;
    private readonly int _dimension;
    private readonly int _padded;
    private readonly int _words;

    /// <summary>Creates a quantizer around <paramref name="centroid"/>, rotating with signs drawn from <paramref name="seed"/>.</summary>
    public BinaryQuantizer(VectorMetric metric, float[] centroid, ulong seed)
    {
        _metric = metric;
        _centroid = centroid;
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
    public int CodeSize => CodeSizeFor(_dimension);

    /// <inheritdoc />
    public int QueryStateLength => StateLengthFor(_dimension);

    /// <summary>The centroid that stored vectors are measured from.</summary>
    public ReadOnlySpan<float> Centroid => _centroid;

    /// <summary>The seed of the rotation.</summary>
    public ulong Seed => _rotation.Seed;

    /// <summary>The bytes of a code for vectors of <paramref name="dimension"/> components.</summary>
    public static int CodeSizeFor(int dimension) => (PaddedLength(dimension) / 8) + FactorBytes;

    /// <summary>The floats of query state for vectors of <paramref name="dimension"/> components.</summary>
    public static int StateLengthFor(int dimension) => HeaderFloats + (PaddedLength(dimension) / 64 * QueryBits * 2);

    /// <summary>The rotated length: the next power of two, at least 64 (whole words of bits).</summary>
    public static int PaddedLength(int dimension) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, dimension));

    /// <summary>A quantizer centred on the mean of <paramref name="rows"/>.</summary>
    public static BinaryQuantizer Train(VectorMetric metric, int dimension, IEnumerable<float[]> rows, ulong seed)
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

        return new BinaryQuantizer(metric, centroid, seed);
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
        var bits = code[..(_padded / 8)];
        for (var i = 0; i < _padded; i++)
        {
            if (offset[i] > 0)
            {
                bits[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        // s = <x̄, o> = Σ|offset| / (r √n): how much of the unit offset its signs capture.
        var s = Math.Clamp(TensorPrimitives.SumOfMagnitudes<float>(offset) / (r * MathF.Sqrt(_padded)), 1e-6f, 1f);
        var factors = MemoryMarshal.Cast<byte, float>(code.Slice(_padded / 8, FactorBytes));
        factors[0] = r * r;
        factors[1] = 2 * r / (s * MathF.Sqrt(_padded));
        factors[2] = 2 * r * ErrorConfidence * MathF.Sqrt(Math.Max(0f, 1 - (s * s))) / (s * MathF.Sqrt(_padded - 1));
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < 3; i++)
            {
                factors[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(factors[i])));
            }
        }
    }

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
        // The code's best reconstruction is its signs scaled to s r along x̄: r s / √n per component.
        var (squared, weight, _) = Factors(ref MemoryMarshal.GetReference(code));
        var component = weight > 0 ? 2 * squared / (weight * _padded) : 0f;
        Span<float> rotated = stackalloc float[_padded];
        for (var i = 0; i < _padded; i++)
        {
            rotated[i] = ((code[i >> 3] >> (i & 7)) & 1) != 0 ? component : -component;
        }

        float bias;
        if (_metric == VectorMetric.L2)
        {
            bias = component * component * _padded;
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
        var sum = SignedSum(ref header, ref code);
        var (squared, weight, _) = Factors(ref code);
        return _metric == VectorMetric.L2 ? squared + bias - (weight * sum) : bias - (0.5f * weight * sum);
    }

    /// <summary>
    /// <paramref name="estimate"/> (the <see cref="Distance"/> of the same code) less its error bound: the
    /// true distance lies above it with high probability, so a candidate whose bound exceeds a distance already
    /// measured exactly need not be read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float LowerBound(ReadOnlySpan<float> state, float estimate, ref byte code) =>
        estimate - (Factors(ref code).Error * MemoryMarshal.GetReference(state[3..]));

    /// <summary>Whether the three floats of <paramref name="code"/> are finite and not negative (a code read back from a store).</summary>
    public bool HasValidFactors(ReadOnlySpan<byte> code)
    {
        var (squared, weight, error) = Factors(ref MemoryMarshal.GetReference(code));
        return float.IsFinite(squared) && float.IsFinite(weight) && float.IsFinite(error) && squared >= 0 && weight >= 0 && error >= 0;
    }

    /// <summary>Σ (2 bit_i − 1) y_i over the quantized rotated query y, from the bit planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float SignedSum(ref float header, ref byte code)
    {
        ref var planes = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref header, HeaderFloats));
        var ones = 0;
        var levels = 0;
        for (var w = 0; w < _words; w++)
        {
            var bits = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref code, w * sizeof(ulong)));
            bits = BitConverter.IsLittleEndian ? bits : BinaryPrimitives.ReverseEndianness(bits);
            ref var plane = ref Unsafe.Add(ref planes, w * QueryBits * sizeof(ulong));
            ones += BitOperations.PopCount(bits);
            levels += BitOperations.PopCount(bits & Unsafe.ReadUnaligned<ulong>(ref plane))
                + (BitOperations.PopCount(bits & Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref plane, 8))) << 1)
                + (BitOperations.PopCount(bits & Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref plane, 16))) << 2)
                + (BitOperations.PopCount(bits & Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref plane, 24))) << 3);
        }

        // y_i = low + step u_i: Σ(2b − 1) y = low (2 ones − n) + step (2 Σ_{b=1} u − Σ u).
        return (header * ((2 * ones) - _padded)) + (Unsafe.Add(ref header, 1) * ((2 * levels) - Unsafe.Add(ref header, 2)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (float Squared, float Weight, float Error) Factors(ref byte code)
    {
        ref var factors = ref Unsafe.Add(ref code, _padded / 8);
        return BitConverter.IsLittleEndian
            ? (Unsafe.ReadUnaligned<float>(ref factors), Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref factors, 4)), Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref factors, 8)))
            : (ReadBigEndianHost(ref factors, 0), ReadBigEndianHost(ref factors, 4), ReadBigEndianHost(ref factors, 8));
    }

    private static float ReadBigEndianHost(ref byte start, int offset) =>
        BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref start, offset))));

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
    }
}
