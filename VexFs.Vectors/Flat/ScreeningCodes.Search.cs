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

/// <summary>The search: the query's preparation, the passes and the bounds.</summary>
internal sealed partial class ScreeningCodes
{
    /// <summary>How many times k rows the first plane must leave for the second to be added.</summary>
    private const int RefineFactor = 8;

    /// <summary>
    /// Offers <paramref name="heap"/> (bounded at <paramref name="k"/>) the float distance of every row of the
    /// first <paramref name="count"/> that <paramref name="filter"/> admits and that can be among the k nearest
    /// to <paramref name="query"/> (in stored form), in slot order, so that it ends holding what a scan of every
    /// row would.
    /// </summary>
    public void Search(ReadOnlySpan<float> query, int k, int count, VectorFilter? filter, SlotArray<float> vectors, SlotArray<long> ids, FarthestFirstQueue heap)
    {
        var queryCodes = ArrayPool<sbyte>.Shared.Rent(2 * _stride);
        var estimates = ArrayPool<float>.Shared.Rent(count);
        var candidates = ArrayPool<int>.Shared.Rent(count);
        try
        {
            var (coarse, fine) = Prepare(query, queryCodes);
            var nearest = new FarthestFirstQueue();
            Estimate(coarse, queryCodes, k, count, filter, ids, estimates, nearest);
            var tau = nearest.Count < k ? double.PositiveInfinity : nearest.Top.Distance;
            var found = Screen(coarse, tau, count, filter, ids, estimates, candidates);
            // The second plane pays where the first leaves many more rows than k (a few hundred of a thousand at
            // 960 dimensions): each row it drops saves a float distance. Where it leaves a few dozen (128 and 384
            // dimensions), comparing them all costs less than a pass of its own.
            var refine = found > RefineFactor * k;
            if (refine)
            {
                tau = Refine(coarse, fine, ref queryCodes[_stride], tau, k, candidates.AsSpan(0, found), estimates);
            }

            Confirm(refine ? fine : coarse, query, tau, k, candidates.AsSpan(0, found), vectors, estimates, heap);
        }
        finally
        {
            ArrayPool<sbyte>.Shared.Return(queryCodes);
            ArrayPool<float>.Shared.Return(estimates);
            ArrayPool<int>.Shared.Return(candidates);
        }
    }

    /// <summary>
    /// The first pass, by the query's first plane: every row's estimate into <paramref name="estimates"/>, and the <paramref name="k"/> smallest
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
        ref var high = ref MemoryMarshal.GetArrayDataReference(queryCodes);
        ref var upper = ref MemoryMarshal.GetReference(uppers);
        for (var slot = 0; slot < count; slot += BlockRows)
        {
            var n = Math.Min(BlockRows, Math.Min(rowsPerChunk - (slot % rowsPerChunk), count - slot));
            CodeDots.Compute(ref high, ref _codes.At(slot), _stride, dots[..n]);
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
    /// The second pass, by the first plane's bounds: writes to <paramref name="candidates"/>, in slot order, every
    /// admitted row whose lower bound does not exceed <paramref name="tau"/>, eight rows at a time, and returns
    /// how many there are.
    /// </summary>
    private int Screen(in QueryShape shape, double tau, int count, VectorFilter? filter, SlotArray<long> ids, float[] estimates, int[] candidates)
    {
        var (limit, reach) = shape.Limit(tau);
        var limits = Vector256.Create((float)limit);
        var spreadWeight = Vector256.Create((float)shape.SpreadWeight);
        var errorWeight = Vector256.Create((float)shape.ErrorWeight);
        var reaches = Vector256.Create((float)(2 * reach));
        var codeNormSlack = Vector256.Create((float)shape.CodeNormSlack);
        var constantSlack = Vector256.Create((float)shape.ConstantSlack);
        var l2 = shape.L2 ? Vector256<float>.AllBitsSet : Vector256<float>.Zero;
        var rowsPerChunk = _errors.RowsPerChunk;
        var found = 0;
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
                        candidates[found++] = row;
                    }
                }
            }
        }

        return found;
    }

    /// <summary>
    /// The third pass, over the candidates alone: adds the query's second plane (<paramref name="low"/>) to each
    /// one's estimate, and returns τ lowered to the k-th smallest of their finer upper bounds when there are k.
    /// Four candidates share each load of the plane, and the next four's codes are asked for meanwhile.
    /// </summary>
    private double Refine(in QueryShape coarse, in QueryShape fine, ref sbyte low, double tau, int k, ReadOnlySpan<int> candidates, float[] estimates)
    {
        Span<int> dots = stackalloc int[4];
        var shift = fine.Constant - coarse.Constant;
        var nearest = new FarthestFirstQueue();
        var i = 0;
        for (; i + 4 <= candidates.Length; i += 4)
        {
            for (var next = i + 4; next < Math.Min(i + 8, candidates.Length); next++)
            {
                CacheLines.Prefetch(ref _codes.At(candidates[next]), _stride, toL1: true);
            }

            CodeDots.Compute(
                ref low, ref _codes.At(candidates[i]), ref _codes.At(candidates[i + 1]), ref _codes.At(candidates[i + 2]), ref _codes.At(candidates[i + 3]), _stride, dots);
            for (var j = 0; j < 4; j++)
            {
                Refined(fine, candidates[i + j], (float)(estimates[candidates[i + j]] + shift - (fine.LowSlope * dots[j])), k, estimates, nearest);
            }
        }

        for (; i < candidates.Length; i++)
        {
            var dot = CodeDots.Compute(ref low, ref _codes.At(candidates[i]), _stride);
            Refined(fine, candidates[i], (float)(estimates[candidates[i]] + shift - (fine.LowSlope * dot)), k, estimates, nearest);
        }

        return nearest.Count < k ? tau : Math.Min(tau, nearest.Top.Distance);
    }

    /// <summary>Stores row <paramref name="row"/>'s finer estimate and offers its finer upper bound to <paramref name="nearest"/>.</summary>
    private void Refined(in QueryShape fine, int row, float estimate, int k, float[] estimates, FarthestFirstQueue nearest)
    {
        estimates[row] = estimate;
        nearest.PushBounded((float)fine.Upper(estimate, _spreads.At(row), _errors.At(row), _codeNorms.At(row)), row, k);
    }

    /// <summary>
    /// The last pass: offers <paramref name="heap"/> the float distance of each candidate whose finer lower bound
    /// does not exceed <paramref name="tau"/>, in slot order. Those rows are kept at the front of
    /// <paramref name="candidates"/> and asked for all at once (into the second-level cache, the next row's into
    /// the first while a row is measured), so that their misses overlap.
    /// </summary>
    private void Confirm(in QueryShape shape, ReadOnlySpan<float> query, double tau, int k, Span<int> candidates, SlotArray<float> vectors, float[] estimates, FarthestFirstQueue heap)
    {
        var (limit, reach) = shape.Limit(tau);
        var kept = 0;
        foreach (var row in candidates)
        {
            if (shape.MayReach(estimates[row], _spreads.At(row), _errors.At(row), _codeNorms.At(row), limit, reach))
            {
                candidates[kept++] = row;
                CacheLines.Prefetch(ref Unsafe.As<float, byte>(ref vectors.At(row)), _dimension * sizeof(float), toL1: false);
            }
        }

        ref var q = ref MemoryMarshal.GetReference(query);
        for (var i = 0; i < kept; i++)
        {
            if (i + 1 < kept)
            {
                CacheLines.Prefetch(ref Unsafe.As<float, byte>(ref vectors.At(candidates[i + 1])), _dimension * sizeof(float), toL1: true);
            }

            // Measured as a scan of every row measures them (RowDistances), so that both give the same numbers.
            heap.PushBounded(RowDistances.One(_metric, ref q, ref vectors.At(candidates[i]), _dimension), candidates[i], k);
        }
    }

    /// <summary>
    /// Rounds the query's folded vector w to signed bytes in two planes into <paramref name="codes"/> (the second
    /// at <see cref="_stride"/>) and returns what the bounds need after the first plane alone and after both.
    /// </summary>
    private (QueryShape Coarse, QueryShape Fine) Prepare(ReadOnlySpan<float> query, sbyte[] codes)
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

            // Two planes, w ≈ α w̃ + β w̃': the second rounds what the first leaves, so that r is about 254 times
            // shorter than after the first alone, and with it the slack r gives a row.
            var alpha = largest > 0 ? largest / MaxQueryCode : 1;
            var rest = RoundPlane(folded.AsSpan(0, _dimension), alpha, codes.AsSpan(0, _dimension));
            var (coarseMean, coarseNorm) = Measure(folded.AsSpan(0, _dimension));
            var beta = rest > 0 ? rest / MaxQueryCode : 1;
            RoundPlane(folded.AsSpan(0, _dimension), beta, codes.AsSpan(_stride, _dimension));
            var (fineMean, fineNorm) = Measure(folded.AsSpan(0, _dimension));
            codes.AsSpan(_dimension, _stride - _dimension).Clear();
            codes.AsSpan(_stride + _dimension, _stride - _dimension).Clear();

            // A float kernel over n terms is off by at most about n ulps of the sum of their magnitudes; twice that, to spare.
            var eta = (_dimension + 64) * Math.ScaleB(1.0, -23);
            norm = Math.Sqrt(norm);
            var scale = l2 ? 0 : EstimateRounding * (1 + (norm * (_minNorm + Math.Sqrt(_maxCodeNorm))));
            var fine = new QueryShape(l2, offset, norm, alpha, beta, fineMean, fineNorm, eta, (eta * norm * _maxNorm) + Math.ScaleB(1.0, -22) + scale);
            return (fine with { Beta = 0, ResidualMean = coarseMean, ResidualNorm = coarseNorm }, fine);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(folded);
        }
    }

    /// <summary>
    /// Rounds each of <paramref name="values"/> to a whole multiple of <paramref name="scale"/>, at most
    /// <see cref="MaxQueryCode"/> of them either way, writes the multiples to <paramref name="codes"/>, leaves
    /// the remainders in <paramref name="values"/> and returns the largest remainder's magnitude.
    /// </summary>
    private static double RoundPlane(Span<double> values, double scale, Span<sbyte> codes)
    {
        var lanes = Vector256<double>.Count;
        var whole = values.Length & ~(lanes - 1);
        ref var v = ref MemoryMarshal.GetReference(values);
        var inverse = Vector256.Create(1 / scale);
        var scales = Vector256.Create(scale);
        var top = Vector256.Create((double)MaxQueryCode);
        var largests = Vector256<double>.Zero;
        for (var i = 0; i < whole; i += lanes)
        {
            var x = Vector256.LoadUnsafe(ref v, (nuint)i);
            var c = Vector256.Min(top, Vector256.Max(-top, Vector256.Round(x * inverse)));
            var r = x - (scales * c);
            r.StoreUnsafe(ref v, (nuint)i);
            largests = Vector256.Max(largests, Vector256.Abs(r));
            var whole32 = Avx.ConvertToVector128Int32(c);
            for (var j = 0; j < lanes; j++)
            {
                codes[i + j] = (sbyte)whole32.GetElement(j);
            }
        }

        var largest = 0.0;
        for (var j = 0; j < lanes; j++)
        {
            largest = Math.Max(largest, largests.GetElement(j));
        }

        for (var i = whole; i < values.Length; i++)
        {
            var c = Math.Clamp(Math.Round(values[i] / scale), -MaxQueryCode, MaxQueryCode);
            values[i] -= scale * c;
            codes[i] = (sbyte)c;
            largest = Math.Max(largest, Math.Abs(values[i]));
        }

        return largest;
    }

    /// <summary>r · μ and |r| of a query's remainder <paramref name="r"/>.</summary>
    private (double Mean, double Norm) Measure(ReadOnlySpan<double> r)
    {
        var lanes = Vector256<double>.Count;
        var whole = r.Length & ~(lanes - 1);
        ref var first = ref MemoryMarshal.GetReference(r);
        var squares = Vector256<double>.Zero;
        var means = Vector256<double>.Zero;
        for (var i = 0; i < whole; i += lanes)
        {
            var ri = Vector256.LoadUnsafe(ref first, (nuint)i);
            squares += ri * ri;
            means += ri * Vector256.LoadUnsafe(ref _meanWide[0], (nuint)i);
        }

        double square = Vector256.Sum(squares), mean = Vector256.Sum(means);
        for (var i = whole; i < r.Length; i++)
        {
            square += r[i] * r[i];
            mean += r[i] * _meanWide[i];
        }

        return (mean, Math.Sqrt(square));
    }

    /// <summary>
    /// What one query's bounds need. Offset is |q - min|² under L2 and q · min otherwise; DotSlack, for dot
    /// products, covers the rounding of the float distance and of the estimate.
    /// </summary>
    private readonly record struct QueryShape(
        bool L2, double Offset, double QueryNorm, double Alpha, double Beta, double ResidualMean, double ResidualNorm, double Eta, double DotSlack)
    {
        /// <summary>
        /// A row's estimate is Constant + (L2: its code norm) - Slope and LowSlope x its integer dot products with the
        /// query's two planes: |q - x̂|² under L2,
        /// 1 - q · x̂ for dot products, each within ResidualNorm |c - μ| (twice that under L2) of the truth.
        /// </summary>
        public double Constant => L2 ? Offset - (2 * ResidualMean) : 1 - Offset - ResidualMean;

        /// <inheritdoc cref="Constant"/>
        public double Slope => L2 ? 2 * Alpha : Alpha;

        /// <summary>The weight of a row's dot product with the query's second plane, as <see cref="Slope"/> is of the first.</summary>
        public double LowSlope => L2 ? 2 * Beta : Beta;

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

        /// <summary>
        /// Whether a row with this estimate and these terms may lie within <paramref name="limit"/> (see
        /// <see cref="Limit"/>): its lower bound does not exceed it.
        /// </summary>
        public bool MayReach(float estimate, float spread, float error, float codeNorm, double limit, double reach)
        {
            var slack = (SpreadWeight * spread) + (CodeNormSlack * codeNorm) + ConstantSlack + (L2 ? error * (error + (2 * reach)) : ErrorWeight * error);
            return estimate - slack <= limit;
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
