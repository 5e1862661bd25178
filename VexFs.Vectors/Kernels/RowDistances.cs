using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VexFs.Vectors.Kernels;

/// <summary>
/// Distances from one query to many stored vectors that lie one after another, as an exact scan reads them:
/// four rows at a time, so that each register of the query is loaded once for four rows and the four sums
/// run as independent chains. Against one call of <see cref="Distance.Compute(VectorMetric, ref float, ref float, int)"/>
/// per row this saves a quarter of the loads and the call and reduction latency of three rows in four. Each row
/// is summed in one order wherever it falls (in a group of four, among the rows left over, or alone through
/// <see cref="One"/>), so that every exact path gives the same number for it.
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
        if (Lanes512.IsSupported && n >= (nuint)Lanes512.Count)
        {
            var done = FourAtATime<TTerm, Lanes512, Vector512<float>>(ref query, ref rows, n, into);
            OneAtATime<TTerm, Lanes512, Vector512<float>>(ref query, ref rows, n, into, done);
        }
        else if (Lanes256.IsSupported && n >= (nuint)Lanes256.Count)
        {
            var done = FourAtATime<TTerm, Lanes256, Vector256<float>>(ref query, ref rows, n, into);
            OneAtATime<TTerm, Lanes256, Vector256<float>>(ref query, ref rows, n, into, done);
        }
        else
        {
            for (var row = 0; row < into.Length; row++)
            {
                into[row] = Distance.Compute(TTerm.Metric, ref query, ref Unsafe.Add(ref rows, (nuint)row * n), length);
            }
        }
    }

    /// <summary>
    /// The distance of <paramref name="metric"/> from <paramref name="query"/> to the one row of
    /// <paramref name="length"/> floats at <paramref name="row"/>, exactly as <see cref="Compute(VectorMetric, ref float, ref float, int, Span{float})"/>
    /// measures a row wherever it falls in a block.
    /// </summary>
    public static float One(VectorMetric metric, ref float query, ref float row, int length) =>
        metric == VectorMetric.L2 ? One<SquaredDifference>(ref query, ref row, length) : One<Product>(ref query, ref row, length);

    private static float One<TTerm>(ref float query, ref float row, int length)
        where TTerm : struct, ITerm
    {
        var n = (nuint)length;
        if (Lanes512.IsSupported && n >= (nuint)Lanes512.Count)
        {
            return Single<TTerm, Lanes512, Vector512<float>>(ref query, ref row, n);
        }

        if (Lanes256.IsSupported && n >= (nuint)Lanes256.Count)
        {
            return Single<TTerm, Lanes256, Vector256<float>>(ref query, ref row, n);
        }

        return Distance.Compute(TTerm.Metric, ref query, ref row, length);
    }

    /// <summary>
    /// The rows from <paramref name="first"/> on, one at a time, each summed in the order
    /// <see cref="FourAtATime"/> sums it: a row's distance does not depend on where it falls in a block.
    /// </summary>
    private static void OneAtATime<TTerm, TLanes, TVector>(ref float query, ref float rows, nuint n, Span<float> into, int first)
        where TTerm : struct, ITerm
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        for (var row = first; row < into.Length; row++)
        {
            into[row] = Single<TTerm, TLanes, TVector>(ref query, ref Unsafe.Add(ref rows, (nuint)row * n), n);
        }
    }

    /// <summary>One row, with one accumulator, as each row of <see cref="FourAtATime"/> is summed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Single<TTerm, TLanes, TVector>(ref float query, ref float row, nuint n)
        where TTerm : struct, ITerm
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var width = (nuint)TLanes.Count;
        var acc = TLanes.Zero;
        nuint i = 0;
        for (; i + width <= n; i += width)
        {
            acc = TTerm.Accumulate<TLanes, TVector>(TLanes.Load(ref query, i), TLanes.Load(ref row, i), acc);
        }

        if (i < n)
        {
            acc = TTerm.AccumulateLast<TLanes, TVector>(TLanes.Load(ref query, n - width), TLanes.Load(ref row, n - width), acc, (int)(n - i));
        }

        return TTerm.Finish(TLanes.Sum(acc));
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
