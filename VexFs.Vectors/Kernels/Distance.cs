using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VexFs.Vectors.Kernels;

/// <summary>
/// SIMD distance kernels over contiguous float storage: four independent accumulators hide the latency of
/// fused multiply-adds, and a tail shorter than one register is handled by one overlapping, masked load.
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
    /// Never inlined: inside a large caller (the graph search) the register allocator spilled the four
    /// accumulators to the stack on every iteration; on its own the loop keeps them in registers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float L2Squared(ref float a, ref float b, int length)
    {
        var n = (nuint)length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            var acc2 = Vector512<float>.Zero;
            var acc3 = Vector512<float>.Zero;
            for (; i + 64 <= n; i += 64)
            {
                var d0 = Vector512.LoadUnsafe(ref a, i) - Vector512.LoadUnsafe(ref b, i);
                var d1 = Vector512.LoadUnsafe(ref a, i + 16) - Vector512.LoadUnsafe(ref b, i + 16);
                var d2 = Vector512.LoadUnsafe(ref a, i + 32) - Vector512.LoadUnsafe(ref b, i + 32);
                var d3 = Vector512.LoadUnsafe(ref a, i + 48) - Vector512.LoadUnsafe(ref b, i + 48);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(d1, d1, acc1);
                acc2 = Vector512.FusedMultiplyAdd(d2, d2, acc2);
                acc3 = Vector512.FusedMultiplyAdd(d3, d3, acc3);
            }

            for (; i + 16 <= n; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref a, i) - Vector512.LoadUnsafe(ref b, i);
                acc0 = Vector512.FusedMultiplyAdd(d, d, acc0);
            }

            if (i < n)
            {
                var mask = TailMask512((int)(n - i));
                var d = Vector512.LoadUnsafe(ref a, n - 16) - Vector512.LoadUnsafe(ref b, n - 16);
                d = Vector512.BitwiseAnd(d, mask);
                acc1 = Vector512.FusedMultiplyAdd(d, d, acc1);
            }

            return Sum((acc0 + acc1) + (acc2 + acc3));
        }

        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            var acc2 = Vector256<float>.Zero;
            var acc3 = Vector256<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                var d0 = Vector256.LoadUnsafe(ref a, i) - Vector256.LoadUnsafe(ref b, i);
                var d1 = Vector256.LoadUnsafe(ref a, i + 8) - Vector256.LoadUnsafe(ref b, i + 8);
                var d2 = Vector256.LoadUnsafe(ref a, i + 16) - Vector256.LoadUnsafe(ref b, i + 16);
                var d3 = Vector256.LoadUnsafe(ref a, i + 24) - Vector256.LoadUnsafe(ref b, i + 24);
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
                acc2 = Vector256.FusedMultiplyAdd(d2, d2, acc2);
                acc3 = Vector256.FusedMultiplyAdd(d3, d3, acc3);
            }

            for (; i + 8 <= n; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref a, i) - Vector256.LoadUnsafe(ref b, i);
                acc0 = Vector256.FusedMultiplyAdd(d, d, acc0);
            }

            if (i < n)
            {
                var mask = TailMask256((int)(n - i));
                var d = Vector256.LoadUnsafe(ref a, n - 8) - Vector256.LoadUnsafe(ref b, n - 8);
                d = Vector256.BitwiseAnd(d, mask);
                acc1 = Vector256.FusedMultiplyAdd(d, d, acc1);
            }

            return Sum((acc0 + acc1) + (acc2 + acc3));
        }

        var sum = 0f;
        for (; i < n; i++)
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
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            var acc2 = Vector512<float>.Zero;
            var acc3 = Vector512<float>.Zero;
            for (; i + 64 <= n; i += 64)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, i + 16), Vector512.LoadUnsafe(ref b, i + 16), acc1);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, i + 32), Vector512.LoadUnsafe(ref b, i + 32), acc2);
                acc3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, i + 48), Vector512.LoadUnsafe(ref b, i + 48), acc3);
            }

            for (; i + 16 <= n; i += 16)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i), acc0);
            }

            if (i < n)
            {
                var mask = TailMask512((int)(n - i));
                var x = Vector512.BitwiseAnd(Vector512.LoadUnsafe(ref a, n - 16), mask);
                acc1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref b, n - 16), acc1);
            }

            return Sum((acc0 + acc1) + (acc2 + acc3));
        }

        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            var acc2 = Vector256<float>.Zero;
            var acc3 = Vector256<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, i + 8), Vector256.LoadUnsafe(ref b, i + 8), acc1);
                acc2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, i + 16), Vector256.LoadUnsafe(ref b, i + 16), acc2);
                acc3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, i + 24), Vector256.LoadUnsafe(ref b, i + 24), acc3);
            }

            for (; i + 8 <= n; i += 8)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i), acc0);
            }

            if (i < n)
            {
                var mask = TailMask256((int)(n - i));
                var x = Vector256.BitwiseAnd(Vector256.LoadUnsafe(ref a, n - 8), mask);
                acc1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref b, n - 8), acc1);
            }

            return Sum((acc0 + acc1) + (acc2 + acc3));
        }

        var sum = 0f;
        for (; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), sum);
        }

        return sum;
    }

    /// <summary>
    /// A mask whose last <paramref name="count"/> lanes are set, computed in registers: a table load needs the
    /// static base, a helper call that made the JIT keep the accumulators on the stack for the whole loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TailMask512(int count) =>
        Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(16 - count)).AsSingle();

    /// <summary>A mask whose last <paramref name="count"/> lanes are set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TailMask256(int count) =>
        Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(8 - count)).AsSingle();

    /// <summary>
    /// The sum of the lanes of <paramref name="v"/> by halving: three adds of ever narrower halves, then two
    /// within 128 bits. (<c>Vector512.Sum</c> reduces each 128-bit quarter separately, three times the work.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(Vector512<float> v) => Sum(v.GetLower() + v.GetUpper());

    /// <summary>The sum of the lanes of <paramref name="v"/> by halving.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(Vector256<float> v)
    {
        var x = v.GetLower() + v.GetUpper();
        x += Vector128.Shuffle(x, Vector128.Create(2, 3, 0, 1));
        x += Vector128.Shuffle(x, Vector128.Create(1, 0, 3, 2));
        return x.ToScalar();
    }
}
