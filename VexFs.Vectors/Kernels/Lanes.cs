using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VexFs.Vectors.Kernels;

/// <summary>
/// One register width of float lanes, as the kernels use it. Each kernel is written once, generic over a
/// value type that implements this interface; the JIT compiles a separate copy per width with every call
/// inlined, so the generic kernel costs what a kernel written out per width would.
/// </summary>
/// <typeparam name="TVector">The register type.</typeparam>
internal interface ILanes<TVector>
    where TVector : struct
{
    /// <summary>The number of floats in one register.</summary>
    static abstract int Count { get; }

    /// <summary>A register of zeros.</summary>
    static abstract TVector Zero { get; }

    /// <summary>Whether this width runs in hardware on this processor (including byte widening).</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Loads <see cref="Count"/> floats starting <paramref name="offset"/> floats after <paramref name="source"/>.</summary>
    static abstract TVector Load(ref float source, nuint offset);

    /// <summary>Loads <see cref="Count"/> bytes starting at <paramref name="offset"/> and converts them to floats.</summary>
    static abstract TVector LoadWidened(ref byte source, nuint offset);

    /// <summary>a + b, lane by lane.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a - b, lane by lane.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>a * b, lane by lane.</summary>
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>a * b + addend, lane by lane, rounded once.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);

    /// <summary>
    /// <paramref name="v"/> with all but its last <paramref name="count"/> lanes zeroed. The mask is computed in
    /// registers: a table load would need the static base, a helper call across which the JIT keeps no vector
    /// register, so every accumulator of the calling loop would live on the stack.
    /// </summary>
    static abstract TVector KeepLast(TVector v, int count);

    /// <summary>The sum of all lanes, by halving.</summary>
    static abstract float Sum(TVector v);
}

/// <summary>Sixteen float lanes (AVX-512).</summary>
internal readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadWidened(ref byte source, nuint offset) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref source, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) =>
        Vector512.FusedMultiplyAdd(a, b, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> KeepLast(Vector512<float> v, int count) =>
        v & Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(Count - count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Lanes256.Sum(v.GetLower() + v.GetUpper());
}

/// <summary>Eight float lanes (AVX2).</summary>
internal readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    public static bool IsSupported => Vector256.IsHardwareAccelerated && Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadWidened(ref byte source, nuint offset) =>
        Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(
            Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset))).AsByte()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) =>
        Vector256.FusedMultiplyAdd(a, b, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> KeepLast(Vector256<float> v, int count) =>
        v & Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(Count - count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v)
    {
        var x = v.GetLower() + v.GetUpper();
        x += Vector128.Shuffle(x, Vector128.Create(2, 3, 0, 1));
        x += Vector128.Shuffle(x, Vector128.Create(1, 0, 3, 2));
        return x.ToScalar();
    }
}
