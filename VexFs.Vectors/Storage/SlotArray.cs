using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VexFs.Vectors.Storage;

/// <summary>
/// Fixed-width rows addressed by slot number, kept in large contiguous chunks that never move once
/// allocated. Readers may run while a writer grows the array: a row, once allocated, stays where it is.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class SlotArray<T>
{
    // Capacity grows a chunk at a time, so the last chunk is on average half unused: 256 KiB keeps that
    // slack within 2% of a 100K-vector index (with 2 MiB chunks, 15% of its int8 code rows went unused).
    private const int TargetChunkBytes = 256 << 10;

    private readonly int _width;
    private readonly int _shift;
    private readonly int _mask;
    private T[][] _chunks = [];
    private int _allocatedChunks;

    /// <summary>Creates an empty array of rows of <paramref name="width"/> elements of <paramref name="elementBytes"/> bytes each.</summary>
    public SlotArray(int width, int elementBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        _width = width;
        var rowsPerChunk = Math.Max(1, TargetChunkBytes / Math.Max(1, width * elementBytes));
        _shift = Math.Clamp(31 - int.LeadingZeroCount(rowsPerChunk), 4, 16);
        _mask = (1 << _shift) - 1;
    }

    /// <summary>The number of rows currently addressable.</summary>
    public int Capacity => Volatile.Read(ref _allocatedChunks) << _shift;

    /// <summary>The number of rows in each chunk (a power of two).</summary>
    public int RowsPerChunk => 1 << _shift;

    /// <summary>Makes rows 0..<paramref name="rows"/>-1 addressable. Callers serialize growth.</summary>
    public void EnsureCapacity(int rows)
    {
        var needed = (int)(((long)rows + _mask) >> _shift);
        if (needed <= _allocatedChunks)
        {
            return;
        }

        var chunks = _chunks;
        if (needed > chunks.Length)
        {
            // The table of chunk references doubles; chunks themselves are allocated only when needed.
            var grown = new T[Math.Max(needed, chunks.Length * 2)][];
            Array.Copy(chunks, grown, _allocatedChunks);
            chunks = grown;
        }

        for (var c = _allocatedChunks; c < needed; c++)
        {
            chunks[c] = new T[(long)_width << _shift];
        }

        Volatile.Write(ref _chunks, chunks);
        Volatile.Write(ref _allocatedChunks, needed);
    }

    /// <summary>The first element of row <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T At(int slot)
    {
        var chunk = Volatile.Read(ref _chunks)[slot >> _shift];
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), (nint)(slot & _mask) * _width);
    }

    /// <summary>Row <paramref name="slot"/> as a span.</summary>
    public Span<T> Row(int slot) => MemoryMarshal.CreateSpan(ref At(slot), _width);

    /// <summary>The contiguous rows of chunk <paramref name="chunk"/>, for scans.</summary>
    public Span<T> Chunk(int chunk) => Volatile.Read(ref _chunks)[chunk];
}
