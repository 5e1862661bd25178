using System.Runtime.CompilerServices;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Flat;

/// <summary>
/// Byte codes of an exact index's rows that let a search compute the float distance of only the few rows that
/// can be among the k nearest, and still return exactly what comparing every row would.
/// </summary>
/// <remarks>
/// <para>
/// Each component is coded as c = round((x - min) / step), 0..255, per dimension, so the row is x = x̂ + e with
/// x̂ = min + step ∘ c and a residual e whose length ε is stored with the row. The query side is folded into
/// one vector w (L2: (q - min) ∘ step; dot products: q ∘ step), rounded to signed bytes in two planes,
/// w ≈ α w̃ + β w̃' (the second plane rounds what the first leaves), and w̃ · c and w̃' · c are exact integers
/// (<see cref="CodeDots"/>). Then w · c = α w̃ · c + β w̃' · c + r · μ + r · (c - μ), where r = w - α w̃ - β w̃' is
/// known per query, μ is the mean code of the training rows, and |r · (c - μ)| ≤ |r| |c - μ| (Cauchy-Schwarz)
/// with |c - μ| stored with the row. That bounds the distance to x̂; the triangle inequality (|q - x| and
/// |q - x̂| differ by at most ε) bounds the distance to x. The bounds widen by the rounding a float kernel of
/// this length can make, so they hold for the very numbers the float scan computes.
/// </para>
/// <para>
/// A search runs in passes (ScreeningCodes.Search.cs). The first, over every row's codes and the query's first
/// plane, computes each row's estimate and upper bound and keeps the k smallest upper bounds: their largest, τ, is
/// at least the k-th nearest distance. The second drops every row whose lower bound exceeds τ, eight rows at a
/// time. Where more than 8k rows are left (a few hundred of a thousand at 960 dimensions, where the first plane's
/// remainder is long), the third adds the second plane to their estimates and lowers τ to the k-th smallest of
/// their finer upper bounds; where fewer are (a few dozen at 128 and 384), comparing them all costs less. The last
/// compares in floats, in slot order as a scan of every row would, the rows whose lower bound does not exceed τ:
/// about 18 of 1,000 at 960 dimensions, about 35 at 128.
/// </para>
/// <para>
/// Codes are trained on the rows present when the index first reaches <see cref="MinRows"/> rows and again
/// each time it doubles (a batch of rows added at once trains them all once it is in); a row outside the
/// trained range is clamped, which only widens its own ε, and so lets it through the screen more often. Callers
/// serialize changes and exclude them from searches, as the index's lock does.
/// </para>
/// </remarks>
internal sealed partial class ScreeningCodes
{
    /// <summary>The fewest rows for which screening pays: below this, a float scan is as fast.</summary>
    public const int MinRows = 256;

    private const int BlockRows = 64;
    private const int MaxCode = 255;
    private const int MaxQueryCode = 127;

    /// <summary>Relative slack for the float rounding of an estimate (a few operations on terms of this size).</summary>
    private const double EstimateRounding = 4e-6;

    /// <summary>Relative widening of an upper bound computed in floats (a few roundings of 2^-24 each).</summary>
    private const double BoundRounding = 1e-6;

    private readonly VectorMetric _metric;
    private readonly int _dimension;
    private readonly int _stride;
    private readonly SlotArray<byte> _codes;
    private readonly SlotArray<float> _spreads;   // |c - μ|, rounded up
    private readonly SlotArray<float> _errors;    // ε = |x - x̂|, rounded up
    private readonly SlotArray<float> _codeNorms; // |x̂ - min|² = Σ (step c)²
    private readonly float[] _min;
    private readonly float[] _step;
    private readonly float[] _mean;

    // The same in doubles, for the query's preparation.
    private readonly double[] _minWide;
    private readonly double[] _stepWide;
    private readonly double[] _meanWide;

    // |min|, the longest row and the longest x̂ - min (the last two never lowered by a removal, which only keeps them safe).
    private double _minNorm;
    private double _maxNorm;
    private double _maxCodeNorm;

    /// <summary>Creates codes for rows of <paramref name="space"/>; nothing is coded until <see cref="Train"/>.</summary>
    public ScreeningCodes(VectorSpace space)
    {
        _metric = space.Metric;
        _dimension = space.Dimension;
        _stride = CodeDots.Stride(_dimension);
        _codes = new SlotArray<byte>(_stride, sizeof(byte));
        _spreads = new SlotArray<float>(1, sizeof(float));
        _errors = new SlotArray<float>(1, sizeof(float));
        _codeNorms = new SlotArray<float>(1, sizeof(float));
        _min = new float[_dimension];
        _step = new float[_dimension];
        _mean = new float[_dimension];
        _minWide = new double[_dimension];
        _stepWide = new double[_dimension];
        _meanWide = new double[_dimension];
    }

    /// <summary>How many rows the codes were last trained on; 0 before the first training.</summary>
    public int TrainedRows { get; private set; }

    /// <summary>The bytes the codes and their terms hold.</summary>
    public long MemoryBytes => ((long)_codes.Capacity * _stride) + (3L * _errors.Capacity * sizeof(float));

    /// <summary>Whether the index should (re)train now that it holds <paramref name="count"/> rows.</summary>
    public bool ShouldTrain(int count) => count >= MinRows && count >= 2 * TrainedRows;

    /// <summary>Makes rows 0..<paramref name="rows"/>-1 addressable.</summary>
    public void EnsureCapacity(int rows)
    {
        _codes.EnsureCapacity(rows);
        _spreads.EnsureCapacity(rows);
        _errors.EnsureCapacity(rows);
        _codeNorms.EnsureCapacity(rows);
    }

    /// <summary>Trains the per-dimension ranges on the first <paramref name="count"/> rows of <paramref name="vectors"/>, then codes them all.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Train(SlotArray<float> vectors, int count)
    {
        Array.Fill(_min, float.MaxValue);
        var max = new float[_dimension];
        Array.Fill(max, float.MinValue);
        for (var slot = 0; slot < count; slot++)
        {
            var row = vectors.Row(slot);
            for (var i = 0; i < _dimension; i++)
            {
                _min[i] = Math.Min(_min[i], row[i]);
                max[i] = Math.Max(max[i], row[i]);
            }
        }

        for (var i = 0; i < _dimension; i++)
        {
            _step[i] = max[i] > _min[i] ? (max[i] - _min[i]) / MaxCode : 1f;
        }

        _minNorm = Math.Sqrt(_min.Sum(x => (double)x * x));
        _maxNorm = _maxCodeNorm = 0;
        var sums = new double[_dimension];
        for (var slot = 0; slot < count; slot++)
        {
            Encode(slot, vectors.Row(slot));
            var code = _codes.Row(slot);
            for (var i = 0; i < _dimension; i++)
            {
                sums[i] += code[i];
            }
        }

        for (var i = 0; i < _dimension; i++)
        {
            _mean[i] = (float)(sums[i] / count);
            _minWide[i] = _min[i];
            _stepWide[i] = _step[i];
            _meanWide[i] = _mean[i];
        }

        for (var slot = 0; slot < count; slot++)
        {
            SetSpread(slot);
        }

        TrainedRows = count;
    }

    /// <summary>Codes <paramref name="vector"/> (in stored form) as row <paramref name="slot"/>; the codes must be trained.</summary>
    public void Set(int slot, ReadOnlySpan<float> vector)
    {
        Encode(slot, vector);
        SetSpread(slot);
    }

    /// <summary>Moves the codes of row <paramref name="from"/> to row <paramref name="to"/>, as the index moves its last row into a freed slot.</summary>
    public void Move(int from, int to)
    {
        _codes.Row(from).CopyTo(_codes.Row(to));
        _spreads.At(to) = _spreads.At(from);
        _errors.At(to) = _errors.At(from);
        _codeNorms.At(to) = _codeNorms.At(from);
    }

    /// <summary>Codes <paramref name="vector"/> as row <paramref name="slot"/> and stores its residual and code norm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Encode(int slot, ReadOnlySpan<float> vector)
    {
        var code = _codes.Row(slot);
        double error = 0, codeNorm = 0, norm = 0;
        for (var i = 0; i < _dimension; i++)
        {
            var c = Math.Clamp(MathF.Round((vector[i] - _min[i]) / _step[i]), 0f, MaxCode);
            code[i] = (byte)c;
            var scaled = (double)_step[i] * c;
            var e = vector[i] - (_min[i] + scaled);
            error += e * e;
            codeNorm += scaled * scaled;
            norm += (double)vector[i] * vector[i];
        }

        _errors.At(slot) = RoundedUp(Math.Sqrt(error));
        _codeNorms.At(slot) = (float)codeNorm;
        _maxNorm = Math.Max(_maxNorm, Math.Sqrt(norm));
        _maxCodeNorm = Math.Max(_maxCodeNorm, codeNorm);
    }

    /// <summary>Stores |c - μ| of row <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SetSpread(int slot)
    {
        var code = _codes.Row(slot);
        double spread = 0;
        for (var i = 0; i < _dimension; i++)
        {
            var d = code[i] - (double)_mean[i];
            spread += d * d;
        }

        _spreads.At(slot) = RoundedUp(Math.Sqrt(spread));
    }

    private static float RoundedUp(double value) => MathF.BitIncrement((float)value);
}
