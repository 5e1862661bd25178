using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace VexFs.Vectors.Hnsw;

/// <summary>
/// The bottom-layer link lists of a quantized index, each in a block sized to the links it holds, with as many bits
/// a link as the list's largest slot number needs (20 in an index of a million nodes). A fixed row reserves 2M + 1
/// ints a node; nodes built with the neighbor-selection heuristic hold about 18 of M = 16's 32 links, so at 128
/// dimensions fixed rows of links took as much memory as the int8 codes.
/// </summary>
/// <remarks>
/// <para>
/// A block is a run of 4-byte words in a chunk of the arena, named by its first word's number, which the index
/// keeps in the node's row beside its code (0: no list), so that the walk has it at hand when it expands a node it
/// reached by that code. Word 0 is the header; the links follow, each <c>width</c> bits, packed from bit 0 of
/// word 1 upwards across words:
/// </para>
/// <code>
/// header bits 0-7    version: odd while the block is written
/// header bits 8-12   width - 1: the bits of each link (1 to 32)
/// header bits 13-21  the number of links
/// header bits 22-31  the words after the header that the block holds (its capacity)
/// </code>
/// <para>
/// Readers never lock: they copy the words between two reads of the header and start again when it changed (a
/// sequence lock). The caller serializes the writers of one list (the index's node locks). A list that outgrows
/// its block moves to a larger one, and the old block is kept for a list of the same size; a reader still
/// holding it then sees its version change, or copies another node's whole list, which only gives the walk a
/// less direct route.
/// </para>
/// </remarks>
internal sealed class PackedLinks
{
    private const int ChunkShift = 16;
    private const int ChunkWords = 1 << ChunkShift;
    private const uint VersionMask = 0xFF;
    private const int WidthShift = 8;
    private const int CountShift = 13;
    private const int CapacityShift = 22;
    private const int CountMask = 0x1FF;

    private readonly int _maxCount;
    private readonly Stack<uint>[] _free;
    private readonly Lock _arenaLock = new();
    private uint[][] _chunks = [];
    private int _chunkCount;
    private long _nextWord = 1;

    /// <summary>Creates lists of at most <paramref name="maxCount"/> links (at most 511).</summary>
    public PackedLinks(int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCount, CountMask);
        _maxCount = maxCount;
        _free = new Stack<uint>[MaxWords + 1];
    }

    /// <summary>The most words a list's links can take: the size of a reader's scratch.</summary>
    public int MaxWords => DataWords(_maxCount, 32);

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
    /// through <paramref name="words"/> (at least <see cref="MaxWords"/> long), and returns how many links there are.
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

            var count = CountOf(before);
            var width = WidthOf(before);
            var dataWords = DataWords(count, width);
            for (var i = 0; i < dataWords; i++)
            {
                words[i] = Volatile.Read(ref Unsafe.Add(ref header, 1 + i));
            }

            if (Volatile.Read(ref header) != before)
            {
                continue;
            }

            Decode(words[..dataWords], count, width, into);
            return count;
        }
    }

    /// <summary>Replaces the list <paramref name="reference"/> names with <paramref name="links"/> (slot numbers, not negative), in place when they fit its block.</summary>
    public void Write(ref uint reference, ReadOnlySpan<int> links)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(links.Length, _maxCount, nameof(links));
        var block = reference;
        var capacity = block == 0 ? 0 : CapacityOf(Word(block));
        var width = WidthFor(links);
        if (block != 0 && DataWords(links.Length, width) <= capacity)
        {
            Store(block, Word(block), links, width, capacity);
            return;
        }

        if (links.Length == 0)
        {
            return;
        }

        // Room grows by an eighth of the maximum count at a time (four links at M = 16), so that a list being
        // built moves a few times rather than at every link.
        var step = Math.Max(1, _maxCount / 8);
        var room = Math.Min(_maxCount, (links.Length + step - 1) / step * step);
        Place(ref reference, links, width, DataWords(room, width));
        if (block != 0)
        {
            Release(block, capacity);
        }
    }

    /// <summary>
    /// Writes <paramref name="links"/> as a new list in a block of exactly their size, named by <paramref name="reference"/>,
    /// which names no list yet (a node of an index being loaded). <paramref name="reference"/> is written, never read:
    /// in a new index its page is fresh, and a read before the write would fault the page in twice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Load(ref uint reference, ReadOnlySpan<int> links)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(links.Length, _maxCount, nameof(links));
        Debug.Assert(reference == 0, "Load fills a reference that names no list.");
        if (links.Length > 0)
        {
            var width = WidthFor(links);
            Place(ref reference, links, width, DataWords(links.Length, width));
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
        Release(block, CapacityOf(Word(block)));
    }

    private static int CountOf(uint header) => (int)(header >> CountShift) & CountMask;

    private static int WidthOf(uint header) => 1 + ((int)(header >> WidthShift) & 31);

    private static int CapacityOf(uint header) => (int)(header >> CapacityShift);

    private static int DataWords(int count, int width) => (int)((((long)count * width) + 31) >> 5);

    /// <summary>The bits the largest of <paramref name="links"/> needs, at least one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WidthFor(ReadOnlySpan<int> links)
    {
        var all = 1u;
        foreach (var link in links)
        {
            all |= (uint)link;
        }

        return 32 - BitOperations.LeadingZeroCount(all);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Encode(ReadOnlySpan<int> links, int width, Span<uint> data)
    {
        data.Clear();
        for (var i = 0; i < links.Length; i++)
        {
            var bit = width * i;
            var word = bit >> 5;
            var shift = bit & 31;
            var value = (ulong)(uint)links[i] << shift;
            data[word] |= (uint)value;
            if (shift + width > 32)
            {
                data[word + 1] |= (uint)(value >> 32);
            }
        }
    }

    private static void Decode(ReadOnlySpan<uint> data, int count, int width, Span<int> into)
    {
        var mask = width == 32 ? uint.MaxValue : (1u << width) - 1;
        for (var i = 0; i < count; i++)
        {
            var bit = width * i;
            var word = bit >> 5;
            var shift = bit & 31;
            var value = data[word] >> shift;
            if (shift + width > 32)
            {
                value |= data[word + 1] << (32 - shift);
            }

            into[i] = (int)(value & mask);
        }
    }

    /// <summary>Stores <paramref name="links"/> in a new block of <paramref name="capacity"/> words and points <paramref name="reference"/> at it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Place(ref uint reference, ReadOnlySpan<int> links, int width, int capacity)
    {
        var block = Allocate(capacity, out var header);
        Store(block, header, links, width, capacity);
        Volatile.Write(ref reference, block);
    }

    /// <summary>
    /// Writes <paramref name="links"/> into <paramref name="block"/> under its sequence lock, <paramref name="header"/>
    /// being the block's header word now. The caller passes it rather than have it read here: a new block's words
    /// are known to be zero, and reading a fresh page before writing it faults it in twice (the second time with a
    /// flush of every core's address cache).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Store(uint block, uint header, ReadOnlySpan<int> links, int width, int capacity)
    {
        Span<uint> data = stackalloc uint[MaxWords];
        data = data[..DataWords(links.Length, width)];
        Encode(links, width, data);
        ref var first = ref Word(block);
        var version = (header + 1) & VersionMask;
        Volatile.Write(ref first, (header & ~VersionMask) | version);
        for (var i = 0; i < data.Length; i++)
        {
            Volatile.Write(ref Unsafe.Add(ref first, 1 + i), data[i]);
        }

        var written = ((version + 1) & VersionMask) | ((uint)(width - 1) << WidthShift) | ((uint)links.Length << CountShift) | ((uint)capacity << CapacityShift);
        Volatile.Write(ref first, written);
    }

    /// <summary>A block of a header and <paramref name="capacity"/> words: a kept one of that size, or new room; <paramref name="header"/> is its header word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private uint Allocate(int capacity, out uint header)
    {
        var words = 1 + capacity;
        lock (_arenaLock)
        {
            if (_free[capacity] is { Count: > 0 } free)
            {
                var kept = free.Pop();
                header = Word(kept);
                return kept;
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
            header = 0;
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

    private void Release(uint block, int capacity)
    {
        lock (_arenaLock)
        {
            (_free[capacity] ??= new Stack<uint>()).Push(block);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint Word(uint block) => ref Volatile.Read(ref _chunks)[block >> ChunkShift][block & (ChunkWords - 1)];
}
