using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VexFs.Vectors.Kernels;

/// <summary>
/// SIMD distance kernels over contiguous float storage: four independent accumulators hide the latency of
/// fused multiply-adds, and a tail shorter than one register is handled by one overlapping, masked load.
/// Each kernel is written once over <see cref="ILanes{TVector}"/> and runs with the widest supported registers.
/// </summary>
internal static class Distance
{
    /// <summary>The distance of <paramref name="metric"/> between two prepared vectors of equal length.</summary>
    public static float Compute(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        Compute(metric, ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), Math.Min(a.Length, b.Length));

    /// <summary>The distance of <paramref name="metric"/> between <paramref name="length"/> floats at two references.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(VectorMetric metric, ref float a, ref float b, int length) =>
        metric == VectorMetric.L2 ? L2Squared(ref a, ref b, length) : 1f - Dot(ref a, ref b, length);

    /// <summary>The squared Euclidean distance between two spans of equal length.</summary>
    public static float L2Squared(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(b));
        }

        return L2Squared(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), a.Length);
    }

    /// <summary>The dot product of two spans of equal length.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(b));
        }

        return Dot(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), a.Length);
    }

    /// <summary>The squared Euclidean distance between <paramref name="length"/> floats at two references.</summary>
    /// <remarks>
    /// Never inlined: the graph search calls it from a large loop, and on its own the kernel gets all the
    /// vector registers it wants.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float L2Squared(ref float a, ref float b, int length)
    {
        var n = (nuint)length;
        if (Lanes512.IsSupported && n >= (nuint)Lanes512.Count)
        {
            return L2Squared<Lanes512, Vector512<float>>(ref a, ref b, n);
        }

        if (Lanes256.IsSupported && n >= (nuint)Lanes256.Count)
        {
            return L2Squared<Lanes256, Vector256<float>>(ref a, ref b, n);
        }

        var sum = 0f;
        for (nuint i = 0; i < n; i++)
        {
            var d = Unsafe.Add(ref a, i) - Unsafe.Add(ref b, i);
            sum = MathF.FusedMultiplyAdd(d, d, sum);
        }

        return sum;
    }

    /// <summary>The dot product of <paramref name="length"/> floats at two references.</summary>
    /// <remarks>Never inlined, like <see cref="L2Squared(ref float, ref float, int)"/>.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Dot(ref float a, ref float b, int length)
    {
        var n = (nuint)length;
        if (Lanes512.IsSupported && n >= (nuint)Lanes512.Count)
        {
            return Dot<Lanes512, Vector512<float>>(ref a, ref b, n);
        }

        if (Lanes256.IsSupported && n >= (nuint)Lanes256.Count)
        {
            return Dot<Lanes256, Vector256<float>>(ref a, ref b, n);
        }

        var sum = 0f;
        for (nuint i = 0; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), sum);
        }

        return sum;
    }

    /// <summary>
    /// The squared Euclidean distance over <paramref name="n"/> &gt;= <c>TLanes.Count</c> floats with registers of
    /// one width: four accumulators, then one register at a time, then one overlapping load that ends at the
    /// last float, masked so that lanes already counted add zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float L2Squared<TLanes, TVector>(ref float a, ref float b, nuint n)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var width = (nuint)TLanes.Count;
        var acc0 = TLanes.Zero;
        var acc1 = TLanes.Zero;
        var acc2 = TLanes.Zero;
        var acc3 = TLanes.Zero;
        nuint i = 0;
        for (; i + (4 * width) <= n; i += 4 * width)
        {
            var d0 = TLanes.Subtract(TLanes.Load(ref a, i), TLanes.Load(ref b, i));
            var d1 = TLanes.Subtract(TLanes.Load(ref a, i + width), TLanes.Load(ref b, i + width));
            var d2 = TLanes.Subtract(TLanes.Load(ref a, i + (2 * width)), TLanes.Load(ref b, i + (2 * width)));
            var d3 = TLanes.Subtract(TLanes.Load(ref a, i + (3 * width)), TLanes.Load(ref b, i + (3 * width)));
            acc0 = TLanes.MultiplyAdd(d0, d0, acc0);
            acc1 = TLanes.MultiplyAdd(d1, d1, acc1);
            acc2 = TLanes.MultiplyAdd(d2, d2, acc2);
            acc3 = TLanes.MultiplyAdd(d3, d3, acc3);
        }

        for (; i + width <= n; i += width)
        {
            var d = TLanes.Subtract(TLanes.Load(ref a, i), TLanes.Load(ref b, i));
            acc0 = TLanes.MultiplyAdd(d, d, acc0);
        }

        if (i < n)
        {
            var d = TLanes.Subtract(TLanes.Load(ref a, n - width), TLanes.Load(ref b, n - width));
            d = TLanes.KeepLast(d, (int)(n - i));
            acc1 = TLanes.MultiplyAdd(d, d, acc1);
        }

        return TLanes.Sum(TLanes.Add(TLanes.Add(acc0, acc1), TLanes.Add(acc2, acc3)));
    }

    /// <summary>The dot product over <paramref name="n"/> &gt;= <c>TLanes.Count</c> floats, laid out like <see cref="L2Squared{TLanes, TVector}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot<TLanes, TVector>(ref float a, ref float b, nuint n)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var width = (nuint)TLanes.Count;
        var acc0 = TLanes.Zero;
        var acc1 = TLanes.Zero;
        var acc2 = TLanes.Zero;
        var acc3 = TLanes.Zero;
        nuint i = 0;
        for (; i + (4 * width) <= n; i += 4 * width)
        {
            acc0 = TLanes.MultiplyAdd(TLanes.Load(ref a, i), TLanes.Load(ref b, i), acc0);
            acc1 = TLanes.MultiplyAdd(TLanes.Load(ref a, i + width), TLanes.Load(ref b, i + width), acc1);
            acc2 = TLanes.MultiplyAdd(TLanes.Load(ref a, i + (2 * width)), TLanes.Load(ref b, i + (2 * width)), acc2);
            acc3 = TLanes.MultiplyAdd(TLanes.Load(ref a, i + (3 * width)), TLanes.Load(ref b, i + (3 * width)), acc3);
        }

        for (; i + width <= n; i += width)
        {
            acc0 = TLanes.MultiplyAdd(TLanes.Load(ref a, i), TLanes.Load(ref b, i), acc0);
        }

        if (i < n)
        {
            var x = TLanes.KeepLast(TLanes.Load(ref a, n - width), (int)(n - i));
            acc1 = TLanes.MultiplyAdd(x, TLanes.Load(ref b, n - width), acc1);
        }

        return TLanes.Sum(TLanes.Add(TLanes.Add(acc0, acc1), TLanes.Add(acc2, acc3)));
    }
}
