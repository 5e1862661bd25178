using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VexFs.Vectors.Kernels;

/// <summary>
/// Distances from one query to many stored vectors that lie one after another, as an exact scan reads them:
/// four rows at a time, so that each register of the query is loaded once for four rows and the four sums
/// run as independent chains. Against one call of <see cref="Distance.Compute(VectorMetric, ref float, ref float, int)"/>
/// per row this saves a quarter of the loads and the call and reduction latency of three rows in four.
/// </summary>
internal static class RowDistances
{
    /// <summary>
    /// Writes to <paramref name="into"/> the distance of <paramref name="metric"/> from <paramref name="query"/>
    /// to each of the <c>into.Length</c> rows of <paramref name="length"/> floats that start at <paramref name="rows"/>.
    /// </summary>
    public static void Compute(VectorMetric metric, ref float query, ref float rows, int length, Span<float> into)
    {
        if (metric == VectorMetric.L2)
        {
            Compute<SquaredDifference>(ref query, ref rows, length, into);
        }
        else
        {
            Compute<Product>(ref query, ref rows, length, into);
        }
    }

    private static void Compute<TTerm>(ref float query, ref float rows, int length, Span<float> into)
        where TTerm : struct, ITerm
    {
        var n = (nuint)length;
        int row = 0;
        if (Lanes512.IsSupported && n >= (nuint)Lanes512.Count)
        {
            row = FourAtATime<TTerm, Lanes512, Vector512<float>>(ref query, ref rows, n, into);
        }
        else if (Lanes256.IsSupported && n >= (nuint)Lanes256.Count)
        {
            row = FourAtATime<TTerm, Lanes256, Vector256<float>>(ref query, ref rows, n, into);
        }

        var metric = TTerm.Metric;
        for (; row < into.Length; row++)
        {
            into[row] = Distance.Compute(metric, ref query, ref Unsafe.Add(ref rows, (nuint)row * n), length);
        }
    }

    /// <summary>The rows in whole groups of four; returns how many it did.</summary>
    private static int FourAtATime<TTerm, TLanes, TVector>(ref float query, ref float rows, nuint n, Span<float> into)
        where TTerm : struct, ITerm
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var width = (nuint)TLanes.Count;
        int groups = into.Length / 4;
        ref float output = ref MemoryMarshal.GetReference(into);
        for (int group = 0; group < groups; group++)
        {
            ref float r0 = ref Unsafe.Add(ref rows, (nuint)(group * 4) * n);
            ref float r1 = ref Unsafe.Add(ref r0, n);
            ref float r2 = ref Unsafe.Add(ref r1, n);
            ref float r3 = ref Unsafe.Add(ref r2, n);
            var acc0 = TLanes.Zero;
            var acc1 = TLanes.Zero;
            var acc2 = TLanes.Zero;
            var acc3 = TLanes.Zero;
            nuint i = 0;
            for (; i + width <= n; i += width)
            {
                var q = TLanes.Load(ref query, i);
                acc0 = TTerm.Accumulate<TLanes, TVector>(q, TLanes.Load(ref r0, i), acc0);
                acc1 = TTerm.Accumulate<TLanes, TVector>(q, TLanes.Load(ref r1, i), acc1);
                acc2 = TTerm.Accumulate<TLanes, TVector>(q, TLanes.Load(ref r2, i), acc2);
                acc3 = TTerm.Accumulate<TLanes, TVector>(q, TLanes.Load(ref r3, i), acc3);
            }

            if (i < n)
            {
                // One overlapping load that ends at the last float, its lanes already counted masked off.
                int keep = (int)(n - i);
                var q = TLanes.Load(ref query, n - width);
                acc0 = TTerm.AccumulateLast<TLanes, TVector>(q, TLanes.Load(ref r0, n - width), acc0, keep);
                acc1 = TTerm.AccumulateLast<TLanes, TVector>(q, TLanes.Load(ref r1, n - width), acc1, keep);
                acc2 = TTerm.AccumulateLast<TLanes, TVector>(q, TLanes.Load(ref r2, n - width), acc2, keep);
                acc3 = TTerm.AccumulateLast<TLanes, TVector>(q, TLanes.Load(ref r3, n - width), acc3, keep);
            }

            ref float at = ref Unsafe.Add(ref output, group * 4);
            at = TTerm.Finish(TLanes.Sum(acc0));
            Unsafe.Add(ref at, 1) = TTerm.Finish(TLanes.Sum(acc1));
            Unsafe.Add(ref at, 2) = TTerm.Finish(TLanes.Sum(acc2));
            Unsafe.Add(ref at, 3) = TTerm.Finish(TLanes.Sum(acc3));
        }

        return groups * 4;
    }

    /// <summary>What one metric adds per register of components, and how its sum becomes a distance.</summary>
    private interface ITerm
    {
        static abstract VectorMetric Metric { get; }

        static abstract TVector Accumulate<TLanes, TVector>(TVector query, TVector row, TVector sum)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct;

        /// <summary>As <see cref="Accumulate"/>, counting only the last <paramref name="keep"/> lanes.</summary>
        static abstract TVector AccumulateLast<TLanes, TVector>(TVector query, TVector row, TVector sum, int keep)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct;

        static abstract float Finish(float sum);
    }

    /// <summary>Squared Euclidean distance: the sum of squared differences.</summary>
    private readonly struct SquaredDifference : ITerm
    {
        public static VectorMetric Metric => VectorMetric.L2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Accumulate<TLanes, TVector>(TVector query, TVector row, TVector sum)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var d = TLanes.Subtract(query, row);
            return TLanes.MultiplyAdd(d, d, sum);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector AccumulateLast<TLanes, TVector>(TVector query, TVector row, TVector sum, int keep)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var d = TLanes.KeepLast(TLanes.Subtract(query, row), keep);
            return TLanes.MultiplyAdd(d, d, sum);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Finish(float sum) => sum;
    }

    /// <summary>Cosine (of unit vectors) and inner product: one minus the dot product, as <see cref="Distance"/> measures them.</summary>
    private readonly struct Product : ITerm
    {
        public static VectorMetric Metric => VectorMetric.InnerProduct;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Accumulate<TLanes, TVector>(TVector query, TVector row, TVector sum)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            TLanes.MultiplyAdd(query, row, sum);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector AccumulateLast<TLanes, TVector>(TVector query, TVector row, TVector sum, int keep)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            TLanes.MultiplyAdd(TLanes.KeepLast(query, keep), row, sum);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Finish(float sum) => 1f - sum;
    }
}
