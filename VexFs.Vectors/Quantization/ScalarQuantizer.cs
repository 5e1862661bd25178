using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VexFs.Vectors.Quantization;

/// <summary>
/// Per-dimension scalar quantization to one byte: component i is stored as
/// round((x - min[i]) / step[i]) clamped to 0..255, where min and step come from training data.
/// </summary>
/// <remarks>
/// Distances are asymmetric (a float query against byte codes). Under L2 the query is moved into code
/// units, t = (q - min) / step, and the distance is the sum of step² (t - c)². Under dot-product metrics the
/// dot product splits into the constant q·min and the sum of (q·step) c.
/// </remarks>
internal sealed class ScalarQuantizer : IVectorCodec
{
    private readonly VectorMetric _metric;
    private readonly float[] _min;
    private readonly float[] _step;

    /// <summary>Creates a quantizer from known per-dimension minima and steps.</summary>
    public ScalarQuantizer(VectorMetric metric, float[] min, float[] step)
    {
        _metric = metric;
        _min = min;
        _step = step;
    }

    /// <inheritdoc />
    public int CodeSize => _min.Length;

    /// <inheritdoc />
    public int QueryStateLength => _metric == VectorMetric.L2 ? 2 * _min.Length : _min.Length;

    /// <summary>The per-dimension minima.</summary>
    public ReadOnlySpan<float> Min => _min;

    /// <summary>The per-dimension steps between consecutive codes.</summary>
    public ReadOnlySpan<float> Step => _step;

    /// <summary>Trains a quantizer on the range of each dimension of <paramref name="rows"/>.</summary>
    public static ScalarQuantizer Train(VectorMetric metric, int dimension, IEnumerable<float[]> rows)
    {
        var min = new float[dimension];
        var max = new float[dimension];
        Array.Fill(min, float.MaxValue);
        Array.Fill(max, float.MinValue);
        foreach (var row in rows)
        {
            for (var i = 0; i < dimension; i++)
            {
                min[i] = Math.Min(min[i], row[i]);
                max[i] = Math.Max(max[i], row[i]);
            }
        }

        var step = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            if (min[i] > max[i])
            {
                min[i] = max[i] = 0;
            }

            step[i] = max[i] > min[i] ? (max[i] - min[i]) / 255f : 1f;
        }

        return new ScalarQuantizer(metric, min, step);
    }

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<float> vector, Span<byte> code)
    {
        for (var i = 0; i < _min.Length; i++)
        {
            code[i] = (byte)Math.Clamp(MathF.Round((vector[i] - _min[i]) / _step[i]), 0f, 255f);
        }
    }

    /// <summary>Decodes a code back to approximate float components.</summary>
    public void Decode(ReadOnlySpan<byte> code, Span<float> vector)
    {
        for (var i = 0; i < _min.Length; i++)
        {
            vector[i] = _min[i] + (code[i] * _step[i]);
        }
    }

    /// <inheritdoc />
    public float PrepareQuery(ReadOnlySpan<float> query, Span<float> state)
    {
        var n = _min.Length;
        if (_metric == VectorMetric.L2)
        {
            for (var i = 0; i < n; i++)
            {
                state[i] = (query[i] - _min[i]) / _step[i];
                state[n + i] = _step[i] * _step[i];
            }

            return 0f;
        }

        var bias = 0f;
        for (var i = 0; i < n; i++)
        {
            state[i] = query[i] * _step[i];
            bias += query[i] * _min[i];
        }

        return bias;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Distance(ReadOnlySpan<float> state, float bias, ref byte code) =>
        _metric == VectorMetric.L2
            ? WeightedL2(ref MemoryMarshal.GetReference(state), ref code, _min.Length)
            : 1f - (bias + Dot(ref MemoryMarshal.GetReference(state), ref code, _min.Length));

    /// <summary>The sum of w[i] (t[i] - c[i])², where t and w lie one after the other in <paramref name="state"/>.</summary>
    internal static float WeightedL2(ref float state, ref byte code, int n)
    {
        ref var weights = ref Unsafe.Add(ref state, n);
        var i = 0;
        var sum = 0f;
        if (Avx512F.IsSupported)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                var c0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref code, (nuint)i)));
                var c1 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref code, (nuint)i + 16)));
                var d0 = Vector512.LoadUnsafe(ref state, (nuint)i) - c0;
                var d1 = Vector512.LoadUnsafe(ref state, (nuint)i + 16) - c1;
                acc0 = Vector512.FusedMultiplyAdd(d0 * d0, Vector512.LoadUnsafe(ref weights, (nuint)i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(d1 * d1, Vector512.LoadUnsafe(ref weights, (nuint)i + 16), acc1);
            }

            for (; i + 16 <= n; i += 16)
            {
                var c = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref code, (nuint)i)));
                var d = Vector512.LoadUnsafe(ref state, (nuint)i) - c;
                acc0 = Vector512.FusedMultiplyAdd(d * d, Vector512.LoadUnsafe(ref weights, (nuint)i), acc0);
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Avx2.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var c = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref code, i))).AsByte()));
                var d = Vector256.LoadUnsafe(ref state, (nuint)i) - c;
                acc = Vector256.FusedMultiplyAdd(d * d, Vector256.LoadUnsafe(ref weights, (nuint)i), acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            var d = Unsafe.Add(ref state, i) - Unsafe.Add(ref code, i);
            sum += d * d * Unsafe.Add(ref weights, i);
        }

        return sum;
    }

    /// <summary>The sum of a[i] c[i].</summary>
    internal static float Dot(ref float a, ref byte code, int n)
    {
        var i = 0;
        var sum = 0f;
        if (Avx512F.IsSupported)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                var c0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref code, (nuint)i)));
                var c1 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref code, (nuint)i + 16)));
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)i), c0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)i + 16), c1, acc1);
            }

            for (; i + 16 <= n; i += 16)
            {
                var c = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref code, (nuint)i)));
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)i), c, acc0);
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Avx2.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var c = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref code, i))).AsByte()));
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)i), c, acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref a, i) * Unsafe.Add(ref code, i);
        }

        return sum;
    }
}
