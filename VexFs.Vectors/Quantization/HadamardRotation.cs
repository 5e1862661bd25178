using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VexFs.Vectors.Quantization;

/// <summary>
/// A random orthogonal transform of vectors whose length is a power of two: three rounds of random sign flips,
/// each followed by a fast Walsh-Hadamard transform scaled by 1/√n. O(n log n) per vector where a dense random
/// rotation costs n², and nothing stored but the seed: the signs are drawn from it by SplitMix64, so a saved
/// index rotates the same way wherever it is opened.
/// </summary>
internal sealed class HadamardRotation
{
    private const int Rounds = 3;

    // Rounds x n: the signs of each round, already scaled by 1/√n.
    private readonly float[] _signs;

    public HadamardRotation(int length, ulong seed)
    {
        if (length < 8 || !BitOperations.IsPow2(length))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The rotated length must be a power of two of at least 8.");
        }

        Length = length;
        Seed = seed;
        _signs = new float[Rounds * length];
        var scale = 1f / MathF.Sqrt(length);
        var state = seed;
        for (var i = 0; i < _signs.Length; i += 64)
        {
            var bits = SplitMix64(ref state);
            for (var j = 0; j < 64 && i + j < _signs.Length; j++)
            {
                _signs[i + j] = ((bits >> j) & 1) == 0 ? scale : -scale;
            }
        }
    }

    /// <summary>The number of components rotated.</summary>
    public int Length { get; }

    /// <summary>The seed the signs were drawn from.</summary>
    public ulong Seed { get; }

    /// <summary>Rotates <paramref name="vector"/> (exactly <see cref="Length"/> components) in place.</summary>
    public void Apply(Span<float> vector)
    {
        if (vector.Length != Length)
        {
            throw new ArgumentException("The vector must have exactly the rotated length.", nameof(vector));
        }

        for (var round = 0; round < Rounds; round++)
        {
            TensorPrimitives.Multiply(vector, _signs.AsSpan(round * Length, Length), vector);
            Transform(vector);
        }
    }

    /// <summary>The unnormalized Walsh-Hadamard transform, in place: butterflies of spans 1, 2, 4, ... n/2.</summary>
    private static void Transform(Span<float> x)
    {
        var n = x.Length;
        ref var start = ref MemoryMarshal.GetReference(x);
        for (var h = 1; h < n; h *= 2)
        {
            for (var i = 0; i < n; i += 2 * h)
            {
                ref var a = ref Unsafe.Add(ref start, i);
                ref var b = ref Unsafe.Add(ref a, h);
                if (h >= Vector256<float>.Count)
                {
                    for (nuint j = 0; j < (nuint)h; j += (nuint)Vector256<float>.Count)
                    {
                        var u = Vector256.LoadUnsafe(ref a, j);
                        var v = Vector256.LoadUnsafe(ref b, j);
                        (u + v).StoreUnsafe(ref a, j);
                        (u - v).StoreUnsafe(ref b, j);
                    }
                }
                else
                {
                    for (var j = 0; j < h; j++)
                    {
                        var u = Unsafe.Add(ref a, j);
                        var v = Unsafe.Add(ref b, j);
                        Unsafe.Add(ref a, j) = u + v;
                        Unsafe.Add(ref b, j) = u - v;
                    }
                }
            }
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
