using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Search;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Flat;

/// <summary>The search: the query's preparation, the two passes and the bounds.</summary>
internal sealed partial class ScreeningCodes
{
    /// <summary>
    /// Offers <paramref name="heap"/> (bounded at <paramref name="k"/>) the float distance of every row of the
    /// first <paramref name="count"/> that <paramref name="filter"/> admits and that can be among the k nearest
    /// to <paramref name="query"/> (in stored form), in slot order, so that it ends holding what a scan of every
    /// row would.
    /// </summary>
    public void Search(ReadOnlySpan<float> query, int k, int count, VectorFilter? filter, SlotArray<float> vectors, SlotArray<long> ids, FarthestFirstQueue heap)
    {
        var queryCodes = ArrayPool<sbyte>.Shared.Rent(_stride);
        var estimates = ArrayPool<float>.Shared.Rent(count);
        try
        {
            var shape = Prepare(query, queryCodes);
            var nearest = new FarthestFirstQueue();
            Estimate(shape, queryCodes, k, count, filter, ids, estimates, nearest);
            Confirm(shape, query, nearest.Count < k ? double.PositiveInfinity : nearest.Top.Distance, k, count, filter, vectors, ids, estimates, heap);
        }
        finally
        {
            ArrayPool<sbyte>.Shared.Return(queryCodes);
            ArrayPool<float>.Shared.Return(estimates);
        }
    }

    /// <summary>
    /// The first pass: every row's estimate into <paramref name="estimates"/>, and the <paramref name="k"/> smallest
    /// upper bounds of admitted rows into <paramref name="nearest"/> (a row is asked about only when its bound would enter).
    /// </summary>
    private void Estimate(in QueryShape shape, sbyte[] queryCodes, int k, int count, VectorFilter? filter, SlotArray<long> ids, float[] estimates, FarthestFirstQueue nearest)
    {
        Span<int> dots = stackalloc int[BlockRows];
        Span<float> uppers = stackalloc float[BlockRows];
        var rowsPerChunk = _codes.RowsPerChunk;
        var constant = Vector256.Create((float)shape.Constant);
        var slope = Vector256.Create((float)shape.Slope);
        var codeNormWeight = Vector256.Create(shape.L2 ? 1f : 0f);
        var spreadWeight = Vector256.Create((float)shape.SpreadWeight);
        var errorWeight = Vector256.Create((float)shape.ErrorWeight);
        var codeNormSlack = Vector256.Create((float)shape.CodeNormSlack);
        var constantSlack = Vector256.Create((float)shape.ConstantSlack);
        var widening = Vector256.Create((float)(1 + shape.Eta + BoundRounding));
        var rounding = Vector256.Create((float)BoundRounding);
        ref var dot = ref MemoryMarshal.GetReference(dots);
        ref var upper = ref MemoryMarshal.GetReference(uppers);
        for (var slot = 0; slot < count; slot += BlockRows)
        {
            var n = Math.Min(BlockRows, Math.Min(rowsPerChunk - (slot % rowsPerChunk), count - slot));
            CodeDots.Compute(ref MemoryMarshal.GetArrayDataReference(queryCodes), ref _codes.At(slot), _stride, dots[..n]);
            ref var spread = ref _spreads.At(slot);
            ref var error = ref _errors.At(slot);
            ref var codeNorm = ref _codeNorms.At(slot);
            ref var estimate = ref estimates[slot];

            // Whole registers; the rows of a last partial one are measured one by one below.
            var whole = n & ~(Vector256<float>.Count - 1);
            for (var i = 0; i < whole; i += Vector256<float>.Count)
            {
                var c = Vector256.LoadUnsafe(ref codeNorm, (nuint)i);
                var e = constant + (codeNormWeight * c) - (slope * Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref dot, (nuint)i)));
                e.StoreUnsafe(ref estimate, (nuint)i);
                var r = Vector256.LoadUnsafe(ref error, (nuint)i);
                var slack = (spreadWeight * Vector256.LoadUnsafe(ref spread, (nuint)i)) + (codeNormSlack * c) + constantSlack;
                var far = Vector256.Sqrt(Vector256.Max(Vector256<float>.Zero, e + slack)) + r;
                var v = e + slack + (errorWeight * r);
                var u = shape.L2 ? far * far * widening : v + (Vector256.Abs(v) * rounding);
                u.StoreUnsafe(ref upper, (nuint)i);
            }

            for (var i = whole; i < n; i++)
            {
                var e = (float)(shape.Constant + (shape.L2 ? Unsafe.Add(ref codeNorm, i) : 0f) - (shape.Slope * Unsafe.Add(ref dot, i)));
                Unsafe.Add(ref estimate, i) = e;
                Unsafe.Add(ref upper, i) = (float)shape.Upper(e, Unsafe.Add(ref spread, i), Unsafe.Add(ref error, i), Unsafe.Add(ref codeNorm, i));
            }

            nearest.PushBelowFarthest(uppers[..n], slot, k, filter, ids);
        }
    }

    /// <summary>
    /// The second pass: drops, eight at a time, the rows whose lower bound exceeds <paramref name="tau"/>, and
    /// offers <paramref name="heap"/> the float distance of each admitted row left.
    /// </summary>
    private void Confirm(
        in QueryShape shape, ReadOnlySpan<float> query, double tau, int k, int count, VectorFilter? filter, SlotArray<float> vectors, SlotArray<long> ids, float[] estimates, FarthestFirstQueue heap)
    {
        var (limit, reach) = shape.Limit(tau);
        var limits = Vector256.Create((float)limit);
        var spreadWeight = Vector256.Create((float)shape.SpreadWeight);
        var errorWeight = Vector256.Create((float)shape.ErrorWeight);
        var reaches = Vector256.Create((float)(2 * reach));
        var codeNormSlack = Vector256.Create((float)shape.CodeNormSlack);
        var constantSlack = Vector256.Create((float)shape.ConstantSlack);
        var l2 = shape.L2 ? Vector256<float>.AllBitsSet : Vector256<float>.Zero;
        ref var q = ref MemoryMarshal.GetReference(query);
        var rowsPerChunk = _errors.RowsPerChunk;
        for (var slot = 0; slot < count; slot += BlockRows)
        {
            var n = Math.Min(BlockRows, Math.Min(rowsPerChunk - (slot % rowsPerChunk), count - slot));
            ref var spread = ref _spreads.At(slot);
            ref var error = ref _errors.At(slot);
            ref var codeNorm = ref _codeNorms.At(slot);
            ref var estimate = ref estimates[slot];
            for (var i = 0; i < n; i += Vector256<float>.Count)
            {
                uint maybe;
                if (i + Vector256<float>.Count <= n)
                {
                    // Lower bound > τ: estimate - slack - ε (ε + 2√τ) > τ under L2 (squared distances), and
                    // estimate - slack - ε |q| > τ for dot products; float rounding is in the slacks.
                    var e = Vector256.LoadUnsafe(ref error, (nuint)i);
                    var l2Error = e * (e + reaches);
                    var slack = (spreadWeight * Vector256.LoadUnsafe(ref spread, (nuint)i)) + (codeNormSlack * Vector256.LoadUnsafe(ref codeNorm, (nuint)i)) + constantSlack
                        + Vector256.ConditionalSelect(l2, l2Error, errorWeight * e);
                    maybe = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref estimate, (nuint)i) - slack, limits).ExtractMostSignificantBits();
                }
                else
                {
                    maybe = (1u << (n - i)) - 1;
                }

                while (maybe != 0)
                {
                    var row = slot + i + BitOperations.TrailingZeroCount(maybe);
                    maybe &= maybe - 1;
                    if (filter is null || filter.Admits(ids.At(row)))
                    {
                        // Measured as a scan of every row measures them (RowDistances), so that both give the same numbers.
                        heap.PushBounded(RowDistances.One(_metric, ref q, ref vectors.At(row), _dimension), row, k);
                    }
                }
            }
        }
    }

    /// <summary>Rounds the query's folded vector w to signed bytes into <paramref name="codes"/> and returns what the bounds need.</summary>
    private QueryShape Prepare(ReadOnlySpan<float> query, sbyte[] codes)
    {
        var folded = ArrayPool<double>.Shared.Rent(_dimension);
        try
        {
            // Four dimensions at a time in doubles, so that w, r and their sums are exact enough to bound with.
            var l2 = _metric == VectorMetric.L2;
            var lanes = Vector256<double>.Count;
            var whole = _dimension & ~(lanes - 1);
            ref var q = ref MemoryMarshal.GetReference(query);
            ref var w = ref MemoryMarshal.GetArrayDataReference(folded);
            var offsets = Vector256<double>.Zero;
            var norms = Vector256<double>.Zero;
            var largests = Vector256<double>.Zero;
            for (var i = 0; i < whole; i += lanes)
            {
                var qi = Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref q, (nuint)i));
                var mi = Vector256.LoadUnsafe(ref _minWide[0], (nuint)i);
                var si = Vector256.LoadUnsafe(ref _stepWide[0], (nuint)i);
                norms += qi * qi;
                Vector256<double> wi;
                if (l2)
                {
                    var u = qi - mi;
                    offsets += u * u;
                    wi = u * si;
                }
                else
                {
                    offsets += qi * mi;
                    wi = qi * si;
                }

                wi.StoreUnsafe(ref w, (nuint)i);
                largests = Vector256.Max(largests, Vector256.Abs(wi));
            }

            double offset = Vector256.Sum(offsets), norm = Vector256.Sum(norms), largest = 0;
            for (var i = 0; i < lanes; i++)
            {
                largest = Math.Max(largest, largests[i]);
            }

            for (var i = whole; i < _dimension; i++)
            {
                double qi = query[i];
                norm += qi * qi;
                var u = l2 ? qi - _minWide[i] : qi;
                offset += l2 ? u * u : qi * _minWide[i];
                folded[i] = u * _stepWide[i];
                largest = Math.Max(largest, Math.Abs(folded[i]));
            }

            var alpha = largest > 0 ? largest / MaxQueryCode : 1;
            var inverse = Vector256.Create(1 / alpha);
            var top = Vector256.Create((double)MaxQueryCode);
            var residuals = Vector256<double>.Zero;
            var residualMeans = Vector256<double>.Zero;
            for (var i = 0; i < whole; i += lanes)
            {
                var wi = Vector256.LoadUnsafe(ref w, (nuint)i);
                var c = Vector256.Min(top, Vector256.Max(-top, Vector256.Round(wi * inverse)));
                var r = wi - (Vector256.Create(alpha) * c);
                residuals += r * r;
                residualMeans += r * Vector256.LoadUnsafe(ref _meanWide[0], (nuint)i);
                c.StoreUnsafe(ref w, (nuint)i);
            }

            double residual = Vector256.Sum(residuals), residualMean = Vector256.Sum(residualMeans);
            for (var i = whole; i < _dimension; i++)
            {
                var c = Math.Clamp(Math.Round(folded[i] / alpha), -MaxQueryCode, MaxQueryCode);
                var r = folded[i] - (alpha * c);
                residual += r * r;
                residualMean += r * _meanWide[i];
                folded[i] = c;
            }

            for (var i = 0; i < _dimension; i++)
            {
                codes[i] = (sbyte)folded[i];
            }

            codes.AsSpan(_dimension, _stride - _dimension).Clear();

            // A float kernel over n terms is off by at most about n ulps of the sum of their magnitudes; twice that, to spare.
            var eta = (_dimension + 64) * Math.ScaleB(1.0, -23);
            norm = Math.Sqrt(norm);
            var scale = l2 ? 0 : EstimateRounding * (1 + (norm * (_minNorm + Math.Sqrt(_maxCodeNorm))));
            return new QueryShape(l2, offset, norm, alpha, residualMean, Math.Sqrt(residual), eta, (eta * norm * _maxNorm) + Math.ScaleB(1.0, -22) + scale);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(folded);
        }
    }

    /// <summary>
    /// What one query's bounds need. Offset is |q - min|² under L2 and q · min otherwise; DotSlack, for dot
    /// products, covers the rounding of the float distance and of the estimate.
    /// </summary>
    private readonly record struct QueryShape(
        bool L2, double Offset, double QueryNorm, double Alpha, double ResidualMean, double ResidualNorm, double Eta, double DotSlack)
    {
        /// <summary>
        /// A row's estimate is Constant + (L2: its code norm) - Slope x its integer dot product: |q - x̂|² under L2,
        /// 1 - q · x̂ for dot products, each within ResidualNorm |c - μ| (twice that under L2) of the truth.
        /// </summary>
        public double Constant => L2 ? Offset - (2 * ResidualMean) : 1 - Offset - ResidualMean;

        /// <inheritdoc cref="Constant"/>
        public double Slope => L2 ? 2 * Alpha : Alpha;

        /// <summary>The weight of |c - μ| in a row's slack.</summary>
        public double SpreadWeight => L2 ? 2 * ResidualNorm : ResidualNorm;

        /// <summary>The weight of ε in a row's slack for dot products (|q|; L2 uses ε (ε + 2√τ)).</summary>
        public double ErrorWeight => L2 ? 0 : QueryNorm;

        /// <summary>The weight of the code norm in a row's slack (the rounding of an L2 estimate).</summary>
        public double CodeNormSlack => L2 ? EstimateRounding : 0;

        /// <summary>The part of a row's slack that is the same for every row.</summary>
        public double ConstantSlack => L2 ? EstimateRounding * Offset : DotSlack;

        /// <summary>The bound a lower bound is compared with for τ, and under L2 √ of it (the float distance may fall short of the real one by 1 - η).</summary>
        public (double Limit, double Reach) Limit(double tau)
        {
            if (!L2 || double.IsPositiveInfinity(tau))
            {
                return (tau, 0);
            }

            var real = Math.Max(0, tau) / (1 - Eta);
            return (real, Math.Sqrt(real));
        }

        /// <summary>An upper bound on the float distance of a row with this estimate and these terms.</summary>
        public double Upper(float estimate, float spread, float error, float codeNorm)
        {
            var slack = (SpreadWeight * spread) + (CodeNormSlack * codeNorm) + ConstantSlack;
            if (L2)
            {
                var far = Math.Sqrt(Math.Max(0, estimate + slack)) + error;
                return far * far * (1 + Eta + BoundRounding);
            }

            var bound = estimate + slack + (ErrorWeight * error);
            return bound + (Math.Abs(bound) * BoundRounding);
        }
    }
}
