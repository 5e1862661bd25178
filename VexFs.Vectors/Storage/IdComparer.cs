using System.Runtime.CompilerServices;

namespace VexFs.Vectors.Storage;

/// <summary>
/// Compares ids, hashing them by Fibonacci multiplication. The default hash of a long folds its halves with
/// XOR, so ids that pack two numbers that grow together (a row and its owner, say) collide in bulk, and a set
/// of a hundred thousand of them degenerates into long chains; multiplying spreads every bit over the hash.
/// </summary>
internal sealed class IdComparer : IEqualityComparer<long>
{
    public static IdComparer Instance { get; } = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long obj) => Hash(obj);

    /// <summary>The id's hash (also <see cref="SlotMap"/>'s): the high half of its product with 2^64 / the golden ratio.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hash(long id) => (int)((ulong)id * 0x9E3779B97F4A7C15UL >> 32);
}
