using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VexFs.Vectors.Kernels;

/// <summary>
/// Integer dot products of one signed-byte query with many unsigned-byte codes that lie one after another,
/// each row padded to a whole number of <see cref="RowAlignment"/> bytes. AVX-VNNI multiplies 32 byte pairs
/// and adds them in groups of four into eight int32 lanes in one instruction, with no widening step: a row
/// of 384 codes costs twelve instructions, against 24 fused multiply-adds and four times the bytes for floats.
/// Four rows share each load of the query.
/// </summary>
internal static class CodeDots
{
    /// <summary>The bytes a code row is padded to (one register); the padding of both query and rows is zero.</summary>
    public const int RowAlignment = 32;

    /// <summary>Whether this processor runs the kernel (AVX-VNNI); callers use float distances otherwise.</summary>
    public static bool IsSupported => AvxVnni.IsSupported;

    /// <summary>The padded length of a code row of <paramref name="dimension"/> bytes.</summary>
    public static int Stride(int dimension) => (dimension + RowAlignment - 1) / RowAlignment * RowAlignment;

    /// <summary>
    /// Writes to <paramref name="into"/> the dot product of <paramref name="query"/> (<paramref name="stride"/>
    /// signed bytes) with each of the <c>into.Length</c> code rows of <paramref name="stride"/> bytes that start
    /// at <paramref name="rows"/>. Exact: a product is at most 127 x 255 in magnitude, so int32 sums hold any
    /// dimension below 66,000.
    /// </summary>
    public static unsafe void Compute(ref sbyte query, ref byte rows, int stride, Span<int> into)
    {
        RequireSupport();
        var n = (nuint)stride;
        ref int output = ref MemoryMarshal.GetReference(into);
        int row = 0;
        for (; row + 4 <= into.Length; row += 4)
        {
            ref byte r0 = ref Unsafe.Add(ref rows, (nuint)row * n);
            ref byte r1 = ref Unsafe.Add(ref r0, n);
            ref byte r2 = ref Unsafe.Add(ref r1, n);
            ref byte r3 = ref Unsafe.Add(ref r2, n);

            // The next four rows are fetched while these are summed: the codes of a scope stream from the
            // shared cache, and the processor's own prefetch runs behind four streams.
            Four(ref query, ref r0, ref r1, ref r2, ref r3, n, (byte*)Unsafe.AsPointer(ref r3) + n, ref Unsafe.Add(ref output, row));
        }

        for (; row < into.Length; row++)
        {
            Unsafe.Add(ref output, row) = One(ref query, ref Unsafe.Add(ref rows, (nuint)row * n), n);
        }
    }

    /// <summary>
    /// Writes to the first four of <paramref name="into"/> the dot products of <paramref name="query"/> with four
    /// code rows of <paramref name="stride"/> bytes wherever they lie, as <see cref="Compute(ref sbyte, ref byte, int, Span{int})"/> does
    /// with rows that follow one another.
    /// </summary>
    public static unsafe void Compute(ref sbyte query, ref byte r0, ref byte r1, ref byte r2, ref byte r3, int stride, Span<int> into)
    {
        RequireSupport();
        ArgumentOutOfRangeException.ThrowIfLessThan(into.Length, 4);
        Four(ref query, ref r0, ref r1, ref r2, ref r3, (nuint)stride, null, ref MemoryMarshal.GetReference(into));
    }

    /// <summary>The dot product of <paramref name="query"/> with the one code row of <paramref name="stride"/> bytes at <paramref name="row"/>.</summary>
    public static int Compute(ref sbyte query, ref byte row, int stride)
    {
        RequireSupport();
        return One(ref query, ref row, (nuint)stride);
    }

    /// <summary>
    /// Four rows sharing each load of the query, in four independent sums; with <paramref name="prefetch"/>, the
    /// 4n bytes from there are asked for two cache lines a step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Four(ref sbyte query, ref byte r0, ref byte r1, ref byte r2, ref byte r3, nuint n, byte* prefetch, ref int output)
    {
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        var acc2 = Vector256<int>.Zero;
        var acc3 = Vector256<int>.Zero;
        for (nuint i = 0; i < n; i += RowAlignment)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch + (4 * i));
                Sse.Prefetch0(prefetch + (4 * i) + 64);
            }

            var q = Vector256.LoadUnsafe(ref query, i);
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref r0, i), q);
            acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Vector256.LoadUnsafe(ref r1, i), q);
            acc2 = AvxVnni.MultiplyWideningAndAdd(acc2, Vector256.LoadUnsafe(ref r2, i), q);
            acc3 = AvxVnni.MultiplyWideningAndAdd(acc3, Vector256.LoadUnsafe(ref r3, i), q);
        }

        output = Vector256.Sum(acc0);
        Unsafe.Add(ref output, 1) = Vector256.Sum(acc1);
        Unsafe.Add(ref output, 2) = Vector256.Sum(acc2);
        Unsafe.Add(ref output, 3) = Vector256.Sum(acc3);
    }

    private static int One(ref sbyte query, ref byte row, nuint n)
    {
        var acc = Vector256<int>.Zero;
        for (nuint i = 0; i < n; i += RowAlignment)
        {
            acc = AvxVnni.MultiplyWideningAndAdd(acc, Vector256.LoadUnsafe(ref row, i), Vector256.LoadUnsafe(ref query, i));
        }

        return Vector256.Sum(acc);
    }

    private static void RequireSupport()
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Integer code distances need AVX-VNNI.");
        }
    }
}
