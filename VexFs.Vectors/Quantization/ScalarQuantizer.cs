using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VexFs.Vectors.Kernels;

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
    private readonly float[] _squaredSteps;

    /// <summary>Creates a quantizer from known per-dimension minima and steps.</summary>
    public ScalarQuantizer(VectorMetric metric, float[] min, float[] step)
    {
        _metric = metric;
        _min = min;
        _step = step;
        _squaredSteps = [.. step.Select(x => x * x)];
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
            var values = state[..n];
            TensorPrimitives.Subtract(query[..n], _min, values);
            TensorPrimitives.Divide(values, _step, values);
            _squaredSteps.CopyTo(state[n..]);
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

    /// <summary>
    /// As <see cref="PrepareQuery"/> for the vector a stored code stands for, so that <see cref="Distance"/>
    /// then measures between two codes; cheaper than decoding it first (no division).
    /// </summary>
    public float PrepareCode(ReadOnlySpan<byte> code, Span<float> state)
    {
        // Whole spans at a time (the graph build calls this for every pair of coded nodes it measures).
        var n = _min.Length;
        var values = state[..n];
        TensorPrimitives.ConvertChecked(code[..n], values);
        if (_metric == VectorMetric.L2)
        {
            _squaredSteps.CopyTo(state[n..]);
            return 0f;
        }

        // x = min + c step; the state is x step, the bias x · min.
        TensorPrimitives.MultiplyAdd(values, _step, _min, values);
        var bias = TensorPrimitives.Dot<float>(values, _min);
        TensorPrimitives.Multiply(values, _step, values);
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
        if (Lanes512.IsSupported && n >= Lanes512.Count)
        {
            return WeightedL2<Lanes512, Vector512<float>>(ref state, ref code, (nuint)n);
        }

        if (Lanes256.IsSupported && n >= Lanes256.Count)
        {
            return WeightedL2<Lanes256, Vector256<float>>(ref state, ref code, (nuint)n);
        }

        ref var weights = ref Unsafe.Add(ref state, n);
        var sum = 0f;
        for (var i = 0; i < n; i++)
        {
            var d = Unsafe.Add(ref state, i) - Unsafe.Add(ref code, i);
            sum += d * d * Unsafe.Add(ref weights, i);
        }

        return sum;
    }

    /// <summary>The sum of a[i] c[i].</summary>
    internal static float Dot(ref float a, ref byte code, int n)
    {
        if (Lanes512.IsSupported && n >= Lanes512.Count)
        {
            return Dot<Lanes512, Vector512<float>>(ref a, ref code, (nuint)n);
        }

        if (Lanes256.IsSupported && n >= Lanes256.Count)
        {
            return Dot<Lanes256, Vector256<float>>(ref a, ref code, (nuint)n);
        }

        var sum = 0f;
        for (var i = 0; i < n; i++)
        {
            sum += Unsafe.Add(ref a, i) * Unsafe.Add(ref code, i);
        }

        return sum;
    }

    /// <summary>
    /// <see cref="WeightedL2(ref float, ref byte, int)"/> over <paramref name="n"/> &gt;= <c>TLanes.Count</c>
    /// components with registers of one width; the tail is one overlapping load, masked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float WeightedL2<TLanes, TVector>(ref float state, ref byte code, nuint n)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        ref var weights = ref Unsafe.Add(ref state, n);
        var width = (nuint)TLanes.Count;
        var acc0 = TLanes.Zero;
        var acc1 = TLanes.Zero;
        nuint i = 0;
        for (; i + (2 * width) <= n; i += 2 * width)
        {
            var d0 = TLanes.Subtract(TLanes.Load(ref state, i), TLanes.LoadWidened(ref code, i));
            var d1 = TLanes.Subtract(TLanes.Load(ref state, i + width), TLanes.LoadWidened(ref code, i + width));
            acc0 = TLanes.MultiplyAdd(TLanes.Multiply(d0, d0), TLanes.Load(ref weights, i), acc0);
            acc1 = TLanes.MultiplyAdd(TLanes.Multiply(d1, d1), TLanes.Load(ref weights, i + width), acc1);
        }

        for (; i + width <= n; i += width)
        {
            var d = TLanes.Subtract(TLanes.Load(ref state, i), TLanes.LoadWidened(ref code, i));
            acc0 = TLanes.MultiplyAdd(TLanes.Multiply(d, d), TLanes.Load(ref weights, i), acc0);
        }

        if (i < n)
        {
            var d = TLanes.Subtract(TLanes.Load(ref state, n - width), TLanes.LoadWidened(ref code, n - width));
            d = TLanes.KeepLast(d, (int)(n - i));
            acc1 = TLanes.MultiplyAdd(TLanes.Multiply(d, d), TLanes.Load(ref weights, n - width), acc1);
        }

        return TLanes.Sum(TLanes.Add(acc0, acc1));
    }

    /// <summary><see cref="Dot(ref float, ref byte, int)"/> with registers of one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot<TLanes, TVector>(ref float a, ref byte code, nuint n)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var width = (nuint)TLanes.Count;
        var acc0 = TLanes.Zero;
        var acc1 = TLanes.Zero;
        nuint i = 0;
        for (; i + (2 * width) <= n; i += 2 * width)
        {
            acc0 = TLanes.MultiplyAdd(TLanes.Load(ref a, i), TLanes.LoadWidened(ref code, i), acc0);
            acc1 = TLanes.MultiplyAdd(TLanes.Load(ref a, i + width), TLanes.LoadWidened(ref code, i + width), acc1);
        }

        for (; i + width <= n; i += width)
        {
            acc0 = TLanes.MultiplyAdd(TLanes.Load(ref a, i), TLanes.LoadWidened(ref code, i), acc0);
        }

        if (i < n)
        {
            var x = TLanes.KeepLast(TLanes.Load(ref a, n - width), (int)(n - i));
            acc1 = TLanes.MultiplyAdd(x, TLanes.LoadWidened(ref code, n - width), acc1);
        }

        return TLanes.Sum(TLanes.Add(acc0, acc1));
    }
}
