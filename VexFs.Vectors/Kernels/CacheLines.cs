using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace VexFs.Vectors.Kernels;

/// <summary>Asking the processor for memory ahead of its use, a cache line at a time.</summary>
internal static unsafe class CacheLines
{
    /// <summary>The bytes of a cache line.</summary>
    public const int Size = 64;

    /// <summary>The start of the cache line that holds <paramref name="address"/>.</summary>
    public static byte* First(byte* address) => (byte*)((nuint)address & ~(nuint)(Size - 1));

    /// <summary>
    /// Asks for every cache line from the one that holds <paramref name="from"/> to <paramref name="end"/>
    /// (exclusive), into the first-level cache or the second. A prefetch never faults, so an address that moved
    /// or lies past an array costs a wasted request and nothing else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* from, byte* end, bool toL1)
    {
        for (var line = First(from); line < end; line += Size)
        {
            if (toL1)
            {
                Sse.Prefetch0(line);
            }
            else
            {
                Sse.Prefetch1(line);
            }
        }
    }

    /// <summary>As <see cref="Prefetch(byte*, byte*, bool)"/>, for the <paramref name="bytes"/> from <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(ref byte start, int bytes, bool toL1)
    {
        var from = (byte*)Unsafe.AsPointer(ref start);
        Prefetch(from, from + bytes, toL1);
    }
}
