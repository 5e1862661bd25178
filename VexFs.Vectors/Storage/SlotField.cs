using System.Runtime.CompilerServices;

namespace VexFs.Vectors.Storage;

/// <summary>
/// One field of every row of a <see cref="SlotArray{T}"/> of ints: the bytes that start <c>offset</c> ints into
/// the row. Lets a node's vector live in the same row as its links, or in rows of its own, behind one accessor.
/// </summary>
internal readonly struct SlotField(SlotArray<int> rows, int offset)
{
    /// <summary>The first byte of the field in row <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte At(int slot) => ref Unsafe.As<int, byte>(ref Unsafe.Add(ref rows.At(slot), offset));

    /// <summary>The field of row <paramref name="slot"/> as <typeparamref name="T"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T At<T>(int slot)
        where T : unmanaged => ref Unsafe.As<byte, T>(ref At(slot));
}
