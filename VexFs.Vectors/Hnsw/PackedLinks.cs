using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace VexFs.Vectors.Hnsw;

/// <summary>
/// The bottom-layer link lists of a quantized index, each in a block sized to the links it holds, three bytes a
/// link while every linked slot fits 24 bits. A fixed row reserves 2M + 1 ints a node; nodes built with the
/// neighbor-selection heuristic hold about 18 of M = 16's 32 links, so at 128 dimensions the links took as much
/// memory as the int8 codes.
/// </summary>
/// <remarks>
/// <para>
/// A block is a run of 4-byte words in a chunk of the arena, named by its first word's number, which the index
/// keeps in the node's row beside its code (0: no list), so that the walk has it at hand when it expands a node it
/// reached by that code. Word 0 is the header, the links follow, little-endian, packed across words:
/// </para>
/// <code>
/// header bits 0-7    version: odd while the block is written
/// header bit  8      four-byte links (some linked slot needs more than 24 bits)
/// header bits 9-17   the number of links
/// header bits 18-26  the capacity in links
/// </code>
/// <para>
/// Readers never lock: they copy the words between two reads of the header and start again when it changed (a
/// sequence lock). The caller serializes the writers of one slot (the index's node locks). A list that outgrows
/// its block moves to a larger one, and the old block is kept for a list of the same size; a reader still
/// holding it then sees its version change, or copies another node's whole list, which only gives the walk a
/// less direct route.
/// </para>
/// </remarks>
internal sealed class PackedLinks
{
    private const int ChunkShift = 16;
    private const int ChunkWords = 1 << ChunkShift;
    private const int VersionMask = 0xFF;
    private const int WideBit = 1 << 8;
    private const int CountShift = 9;
    private const int CapacityShift = 18;
    private const int FieldMask = 0x1FF;
    private const int NarrowLimit = 1 << 24;

    private readonly int _maxCount;
    private readonly Stack<uint>[] _free;
    private readonly Lock _arenaLock = new();
    private uint[][] _chunks = [];
    private int _chunkCount;
    private long _nextWord = 1;

    /// <summary>Creates lists of at most <paramref name="maxCount"/> links (at most 511).</summary>
    public PackedLinks(int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCount, FieldMask);
        _maxCount = maxCount;
        _free = new Stack<uint>[WordsFor(maxCount, wide: true) + 1];
    }

    /// <summary>The most words a block can take, the header included: the size of a reader's scratch.</summary>
    public int MaxWords => WordsFor(_maxCount, wide: true);

    /// <summary>The bytes held by the arena's chunks.</summary>
    public long Bytes => (long)Volatile.Read(ref _chunkCount) * ChunkWords * sizeof(uint);

    /// <summary>Starts fetching the header of the list <paramref name="reference"/> names into the cache, before a walk expands its node.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(uint reference)
    {
        if (reference != 0 && Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Word(reference)));
        }
    }

    /// <summary>
    /// Copies the list <paramref name="reference"/> names into <paramref name="into"/> (at least the maximum count long),
    /// through <paramref name="words"/> (at least <see cref="MaxWords"/> long), and returns how many there are.
    /// </summary>
    public int Read(ref uint reference, Span<int> into, Span<uint> words)
    {
        var spin = default(SpinWait);
        while (true)
        {
            var block = Volatile.Read(ref reference);
            if (block == 0)
            {
                return 0;
            }

            ref var header = ref Word(block);
            var before = Volatile.Read(ref header);
            if ((before & 1) != 0)
            {
                spin.SpinOnce();
                continue;
            }

            var count = (int)(before >> CountShift) & FieldMask;
            var wide = (before & WideBit) != 0;
            var dataWords = DataWords(count, wide);
            for (var i = 0; i < dataWords; i++)
            {
                words[i] = Volatile.Read(ref Unsafe.Add(ref header, 1 + i));
            }

            if (Volatile.Read(ref header) != before)
            {
                continue;
            }

            Decode(words[..dataWords], count, wide, into);
            return count;
        }
    }

    /// <summary>Replaces the list <paramref name="reference"/> names with <paramref name="links"/>, in place when they fit its block.</summary>
    public void Write(ref uint reference, ReadOnlySpan<int> links)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(links.Length, _maxCount, nameof(links));
        var block = reference;
        var current = block == 0 ? 0 : Word(block);
        var capacity = (int)(current >> CapacityShift) & FieldMask;
        var blockWide = (current & WideBit) != 0;
        var wide = NeedsWide(links);
        if (block != 0 && links.Length <= capacity && (blockWide || !wide))
        {
            Store(block, links, capacity, blockWide);
            return;
        }

        if (links.Length == 0)
        {
            return;
        }

        // Capacity grows an eighth of the maximum at a time (four links at M = 16), so that a list being built
        // moves a few times rather than at every link, and a full list takes no more than its links.
        var step = Math.Max(1, _maxCount / 8);
        var grown = Math.Min(_maxCount, (links.Length + step - 1) / step * step);
        Place(ref reference, links, grown, wide);
        if (block != 0)
        {
            Release(block, WordsFor(capacity, blockWide));
        }
    }

    /// <summary>Writes <paramref name="links"/> as a new list in a block of exactly their size, named by <paramref name="reference"/>.</summary>
    public void Load(ref uint reference, ReadOnlySpan<int> links)
    {
        Clear(ref reference);
        if (links.Length > 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(links.Length, _maxCount, nameof(links));
            Place(ref reference, links, links.Length, NeedsWide(links));
        }
    }

    /// <summary>Drops the list <paramref name="reference"/> names; its block is kept for another list.</summary>
    public void Clear(ref uint reference)
    {
        var block = reference;
        if (block == 0)
        {
            return;
        }

        Volatile.Write(ref reference, 0u);
        var header = Word(block);
        Release(block, WordsFor((int)(header >> CapacityShift) & FieldMask, (header & WideBit) != 0));
    }

    private static int DataWords(int count, bool wide) => wide ? count : ((3 * count) + 3) / 4;

    private static int WordsFor(int capacity, bool wide) => 1 + DataWords(capacity, wide);

    private static void Encode(ReadOnlySpan<int> links, bool wide, Span<uint> data)
    {
        if (wide)
        {
            for (var i = 0; i < links.Length; i++)
            {
                data[i] = (uint)links[i];
            }

            return;
        }

        data.Clear();
        for (var i = 0; i < links.Length; i++)
        {
            var bit = 24 * i;
            var word = bit >> 5;
            var shift = bit & 31;
            var value = (ulong)(uint)links[i] << shift;
            data[word] |= (uint)value;
            if (shift > 8)
            {
                data[word + 1] |= (uint)(value >> 32);
            }
        }
    }

    private static void Decode(ReadOnlySpan<uint> data, int count, bool wide, Span<int> into)
    {
        if (wide)
        {
            for (var i = 0; i < count; i++)
            {
                into[i] = (int)data[i];
            }

            return;
        }

        for (var i = 0; i < count; i++)
        {
            var bit = 24 * i;
            var word = bit >> 5;
            var shift = bit & 31;
            var value = data[word] >> shift;
            if (shift > 8)
            {
                value |= data[word + 1] << (32 - shift);
            }

            into[i] = (int)(value & 0xFF_FFFF);
        }
    }

    private static bool NeedsWide(ReadOnlySpan<int> links)
    {
        foreach (var link in links)
        {
            if (link >= NarrowLimit)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Stores <paramref name="links"/> in a new block of <paramref name="capacity"/> links and points <paramref name="reference"/> at it.</summary>
    private void Place(ref uint reference, ReadOnlySpan<int> links, int capacity, bool wide)
    {
        var block = Allocate(WordsFor(capacity, wide));
        Store(block, links, capacity, wide);
        Volatile.Write(ref reference, block);
    }

    /// <summary>Writes <paramref name="links"/> into <paramref name="block"/> under its sequence lock.</summary>
    [SkipLocalsInit]
    private void Store(uint block, ReadOnlySpan<int> links, int capacity, bool wide)
    {
        Span<uint> data = stackalloc uint[MaxWords];
        data = data[..DataWords(links.Length, wide)];
        Encode(links, wide, data);
        ref var header = ref Word(block);
        var version = (header + 1) & VersionMask;
        Volatile.Write(ref header, (header & ~(uint)VersionMask) | version);
        for (var i = 0; i < data.Length; i++)
        {
            Volatile.Write(ref Unsafe.Add(ref header, 1 + i), data[i]);
        }

        var written = ((version + 1) & VersionMask) | (wide ? WideBit : 0u) | ((uint)links.Length << CountShift) | ((uint)capacity << CapacityShift);
        Volatile.Write(ref header, written);
    }

    private uint Allocate(int words)
    {
        lock (_arenaLock)
        {
            if (_free[words] is { Count: > 0 } free)
            {
                return free.Pop();
            }

            // A block never straddles two chunks: one that would starts the next chunk.
            var start = _nextWord;
            var chunk = (int)(start >> ChunkShift);
            if ((int)((start + words - 1) >> ChunkShift) != chunk)
            {
                chunk++;
                start = (long)chunk << ChunkShift;
            }

            if (start + words > uint.MaxValue)
            {
                throw new InvalidOperationException("The index's link lists have outgrown 16 GiB.");
            }

            if (chunk >= _chunkCount)
            {
                AddChunk(chunk);
            }

            _nextWord = start + words;
            return (uint)start;
        }
    }

    private void AddChunk(int chunk)
    {
        var chunks = _chunks;
        if (chunk >= chunks.Length)
        {
            var grown = new uint[Math.Max(chunk + 1, chunks.Length * 2)][];
            Array.Copy(chunks, grown, _chunkCount);
            chunks = grown;
        }

        chunks[chunk] = new uint[ChunkWords];
        Volatile.Write(ref _chunks, chunks);
        Volatile.Write(ref _chunkCount, chunk + 1);
    }

    private void Release(uint block, int words)
    {
        lock (_arenaLock)
        {
            (_free[words] ??= new Stack<uint>()).Push(block);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint Word(uint block) => ref Volatile.Read(ref _chunks)[block >> ChunkShift][block & (ChunkWords - 1)];
}
