using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VexFs.Vectors.Kernels;

/// <summary>Checks that floats are finite: x - x is zero for every finite x and NaN for NaN and infinities.</summary>
internal static class Finite
{
    /// <summary>Whether every value of <paramref name="values"/> is finite.</summary>
    public static bool All(ReadOnlySpan<float> values)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var n = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref start, i);
                if (!Vector512.EqualsAll(v - v, Vector512<float>.Zero))
                {
                    return false;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref start, i);
                if (!Vector256.EqualsAll(v - v, Vector256<float>.Zero))
                {
                    return false;
                }
            }
        }

        for (; i < n; i++)
        {
            if (!float.IsFinite(values[(int)i]))
            {
                return false;
            }
        }

        return true;
    }
}
