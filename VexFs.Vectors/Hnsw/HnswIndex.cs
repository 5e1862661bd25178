using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.ObjectPool;
using VexFs.Vectors.Quantization;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Hnsw;

/// <summary>
/// An approximate nearest-neighbor index: a hierarchical navigable small-world graph (Malkov and Yashunin,
/// 2016) over vectors stored in contiguous chunks, with tombstone deletion, compaction, filtered search and
/// optional int8 or rotated one-, two- or four-bit codes with exact re-ranking.
/// </summary>
/// <remarks>
/// <para>
/// Searches never block: they run in parallel with each other, with inserts and with removals. Inserts run
/// in parallel with each other (<see cref="AddRange"/>); per-node locks guard link lists.
/// <see cref="Compact"/> and saving wait for inserts to finish and hold them off.
/// </para>
/// <para>
/// A single-threaded sequence of inserts with the same <see cref="HnswOptions.Seed"/> builds the same graph.
/// </para>
/// </remarks>
public sealed partial class HnswIndex : IVectorIndex, IDisposable
{
    private const byte FreeSlot = 0;
    private const byte LiveSlot = 1;
    private const byte DeletedSlot = 2;
    private const int MaxLevel = 30;
    private const int NodeLockCount = 1024;

    private readonly int _m;
    private readonly int _m0;
    private readonly double _levelFactor;

    // One row per slot for the bottom layer. Without quantization: the link count, 2M links, then the float
    // vector, as hnswlib lays out its level 0, so that a search that expands a node reads its links right beside
    // the vector it read when it reached the node. With quantization: the number of the node's link block, then
    // the code; the links are packed in blocks of their own size (_packed), since at 128 dimensions 2M + 1 ints
    // took as much memory as the codes.
    private readonly SlotArray<int> _nodes;
    private readonly PackedLinks? _packed;

    // A quantized index's float vectors, read to build the graph and to re-rank; rows of their own, so that
    // the rows the search walks hold codes only. Null without quantization: the vectors are in _nodes.
    private readonly SlotArray<int>? _floats;
    private readonly SlotField _vectors;
    private readonly SlotField _codes;
    private readonly int _nodeWidth;
    private readonly int _codeSize;
    private readonly SlotArray<int[]?> _upperLinks;
    private readonly SlotArray<long> _ids;
    private readonly SlotArray<byte> _levels;
    private readonly SlotArray<byte> _states;
    private readonly SlotMap _slotsById;
    private readonly Stack<int> _freeSlots = new();
    private readonly Random _levelRandom;
    private readonly Lock _mapLock = new();
    private readonly Lock _entryLock = new();
    private readonly Lock[] _nodeLocks;
    private readonly ReaderWriterLockSlim _structureLock = new(LockRecursionPolicy.NoRecursion);
    private readonly DefaultObjectPool<SearchContext> _contexts;

    // The owner's vectors, for an index that keeps codes only (its quantizer is trained from the start).
    private readonly IVectorReader? _reader;

    private IVectorCodec? _quantizer;
    private DeviceVectors? _deviceVectors;
    private int _slotCount;
    private int _liveCount;
    private int _deletedCount;
    private int _efSearch;

    // High 32 bits: the top level of the graph; low 32 bits: the entry slot. -1 when empty.
    private long _entry = -1;

    /// <summary>Creates an empty index of vectors in <paramref name="space"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public HnswIndex(VectorSpace space, HnswOptions? options = null)
        : this(space, options, null)
    {
    }

    /// <summary>
    /// Creates an empty index that keeps codes and the graph in memory and leaves the float vectors with
    /// their owner, who stores them anyway: the index reads one through <paramref name="vectors"/> only to
    /// re-rank a search's final candidates or to answer <see cref="GetVector"/>. The codes are fitted to
    /// <paramref name="training"/> (vectors like those to come: int8 clamps later values outside their range,
    /// rotated codes measure every vector from their mean),
    /// and the graph is built with distances estimated from the codes, as FAISS builds its scalar-quantized HNSW.
    /// The codes are those <see cref="HnswOptions.Quantization"/> names when it names rotated codes
    /// (<see cref="VectorQuantization.Binary"/>, <see cref="VectorQuantization.TwoBit"/>, <see cref="VectorQuantization.FourBit"/>),
    /// int8 (<see cref="VectorQuantization.ScalarInt8"/>) otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">A training vector is invalid (see <see cref="VectorSpace.ToStored"/>), or there is none.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public HnswIndex(VectorSpace space, HnswOptions? options, IVectorReader vectors, IEnumerable<float[]> training)
        : this(space, WithCodes(options ?? HnswOptions.Default), vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(training);
        var stored = training.Select(v => space.ToStored(v, nameof(training))).ToList();
        if (stored.Count == 0)
        {
            throw new ArgumentException("The codes need at least one training vector.", nameof(training));
        }

        _quantizer = TrainCodec(stored);
    }

    private HnswIndex(VectorSpace space, HnswOptions? options, IVectorReader? reader)
    {
        ArgumentNullException.ThrowIfNull(space);
        options ??= HnswOptions.Default;
        options.Validate();
        options = options with { Quantization = options.Quantization.Resolve(space.Dimension) };
        _reader = reader;
        Space = space;
        Options = options;
        _m = options.M;
        _m0 = 2 * options.M;
        _levelFactor = 1.0 / Math.Log(options.M);
        _efSearch = options.EfSearch;
        _levelRandom = new Random(options.Seed);
        var quantized = options.Quantization.UsesCodes();
        var rotatedBits = RotatedQuantizer.BitsOf(options.Quantization);
        _codeSize = rotatedBits > 0 ? RotatedQuantizer.CodeSizeFor(space.Dimension, rotatedBits) : space.Dimension;
        _nodeWidth = quantized ? 1 + ((_codeSize + sizeof(int) - 1) / sizeof(int)) : _m0 + 1 + space.Dimension;
        _nodes = new SlotArray<int>(_nodeWidth, sizeof(int));
        if (quantized)
        {
            if (reader is null)
            {
                _floats = new SlotArray<int>(space.Dimension, sizeof(float));
                _vectors = new SlotField(_floats, 0);
            }

            _codes = new SlotField(_nodes, 1);
            _packed = new PackedLinks(_m0);
        }
        else
        {
            _vectors = new SlotField(_nodes, _m0 + 1);
        }

        _upperLinks = new SlotArray<int[]?>(1, IntPtr.Size);
        _ids = new SlotArray<long>(1, sizeof(long));
        _slotsById = new SlotMap(_ids);
        _levels = new SlotArray<byte>(1, 1);
        _states = new SlotArray<byte>(1, 1);

        _nodeLocks = new Lock[NodeLockCount];
        for (var i = 0; i < _nodeLocks.Length; i++)
        {
            _nodeLocks[i] = new Lock();
        }

        var stateLength = rotatedBits > 0 ? RotatedQuantizer.StateLengthFor(space.Dimension)
            : space.Metric == VectorMetric.L2 ? 2 * space.Dimension : space.Dimension;
        _contexts = new DefaultObjectPool<SearchContext>(
            new SearchContext.Policy(space.Dimension, quantized ? stateLength : 0, _m0, _packed?.MaxWords ?? 0),
            Environment.ProcessorCount * 4);
    }

    /// <inheritdoc />
    public VectorSpace Space { get; }

    /// <summary>The parameters the index was created with.</summary>
    public HnswOptions Options { get; }

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _liveCount);

    /// <summary>Removed vectors whose nodes still route searches; <see cref="Compact"/> reclaims them.</summary>
    public int DeletedCount => Volatile.Read(ref _deletedCount);

    /// <summary>Whether the graph is walked with quantized codes (the quantizer has been trained).</summary>
    public bool IsQuantized => Volatile.Read(ref _quantizer) is not null;

    /// <summary>The candidate list size of searches that do not name one. At least 1.</summary>
    public int EfSearch
    {
        get => Volatile.Read(ref _efSearch);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _efSearch, value);
        }
    }

    /// <summary>
    /// The bytes held by vectors, codes, links, bookkeeping arrays and the id-to-slot map (excluding pooled
    /// search state).
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            long total = ((long)_nodes.Capacity * _nodeWidth * sizeof(int))
                + ((long)(_floats?.Capacity ?? 0) * Space.Dimension * sizeof(float))
                + ((long)_ids.Capacity * sizeof(long))
                + _levels.Capacity
                + _states.Capacity
                + ((long)_upperLinks.Capacity * IntPtr.Size)
                + (_packed?.Bytes ?? 0);

            var slots = Volatile.Read(ref _slotCount);
            for (var s = 0; s < slots; s++)
            {
                if (_upperLinks.At(s) is { } upper)
                {
                    total += 24 + ((long)upper.Length * sizeof(int));
                }
            }

            lock (_mapLock)
            {
                total += _slotsById.Bytes;
            }

            return total;
        }
    }

    /// <inheritdoc />
    public void Add(long id, ReadOnlySpan<float> vector) => Insert(id, vector, replace: false);

    /// <summary>
    /// Adds many vectors on up to <paramref name="maxDegreeOfParallelism"/> threads (all processors when -1).
    /// With one thread the insertion order, and so the graph, is that of the lists.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length, an id repeats or a vector is invalid
    /// (with several threads, the first such error; the other vectors may have been added).</exception>
    public void AddRange(IReadOnlyList<long> ids, IReadOnlyList<float[]> vectors, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(vectors);
        if (ids.Count != vectors.Count)
        {
            throw new ArgumentException("There must be one id per vector.", nameof(vectors));
        }

        if (maxDegreeOfParallelism == 1)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                Add(ids[i], vectors[i]);
            }

            return;
        }

        try
        {
            Parallel.For(0, ids.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i => Add(ids[i], vectors[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    /// <inheritdoc />
    /// <remarks>The new vector gets a new node; the old one stays as a tombstone until <see cref="Compact"/>.</remarks>
    public void Update(long id, ReadOnlySpan<float> vector) => Insert(id, vector, replace: true);

    /// <inheritdoc />
    /// <remarks>The node stays in the graph as a tombstone that routes searches until <see cref="Compact"/>.</remarks>
    public void Remove(long id)
    {
        ThrowIfReadOnly();
        lock (_mapLock)
        {
            var slot = SlotOf(id);
            _slotsById.Remove(id);
            Tombstone(slot);
        }
    }

    /// <inheritdoc />
    public bool Contains(long id)
    {
        lock (_mapLock)
        {
            return _slotsById.ContainsKey(id);
        }
    }

    /// <inheritdoc />
    public float[] GetVector(long id)
    {
        int slot;
        lock (_mapLock)
        {
            slot = SlotOf(id);
            if (_deviceVectors is null && _reader is null)
            {
                return Vector(slot).ToArray();
            }
        }

        var context = _contexts.Get();
        try
        {
            ReadOutside(slot, id, context);
            return context.Vector.AsSpan(0, Space.Dimension).ToArray();
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    /// <summary>Whether the float vectors are kept by the owner and read through an <see cref="IVectorReader"/>.</summary>
    public bool OwnerKeepsVectors => _reader is not null;

    /// <summary>Reads the float vector of <paramref name="slot"/> (stored under <paramref name="id"/>) from where it lies outside memory into the context's vector.</summary>
    private void ReadOutside(int slot, long id, SearchContext context)
    {
        if (_reader is { } reader)
        {
            reader.Read(id, context.Vector.AsSpan(0, Space.Dimension));
        }
        else
        {
            _deviceVectors!.Read(slot, context.Vector, context.PageBuffer(_deviceVectors.BufferBytes));
        }
    }

    /// <summary>Whether the index was reopened with its vectors on the device, and so cannot change.</summary>
    public bool IsReadOnly => _deviceVectors is not null;

    /// <summary>Releases the locks of the index.</summary>
    public void Dispose() => _structureLock.Dispose();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private int SlotOf(long id) =>
        _slotsById.TryGetValue(id, out var slot)
            ? slot
            : throw new KeyNotFoundException(Invariant($"No vector is stored under id {id}."));

    private void ThrowIfReadOnly()
    {
        if (_deviceVectors is not null)
        {
            throw new InvalidOperationException("This index was opened with its vectors on the device and is read-only; open it with its vectors in memory to change it.");
        }
    }

    /// <summary>The float vector of <paramref name="slot"/> (in memory: not for an index with its vectors on the device).</summary>
    private Span<float> Vector(int slot) => MemoryMarshal.CreateSpan(ref _vectors.At<float>(slot), Space.Dimension);

    /// <summary>The code of <paramref name="slot"/> in a quantized index.</summary>
    private Span<byte> Code(int slot) => MemoryMarshal.CreateSpan(ref _codes.At(slot), _codeSize);

    private void Tombstone(int slot)
    {
        Volatile.Write(ref _states.At(slot), DeletedSlot);
        Interlocked.Decrement(ref _liveCount);
        Interlocked.Increment(ref _deletedCount);
    }

    private void Insert(long id, ReadOnlySpan<float> vector, bool replace)
    {
        ThrowIfReadOnly();
        var context = _contexts.Get();
        try
        {
            Space.Prepare(vector, context.Query, nameof(vector));
            _structureLock.EnterReadLock();
            int slot;
            int level;
            bool train;
            try
            {
                lock (_mapLock)
                {
                    if (replace)
                    {
                        Tombstone(SlotOf(id));
                    }
                    else if (_slotsById.ContainsKey(id))
                    {
                        throw new ArgumentException(Invariant($"A vector is already stored under id {id}."), nameof(id));
                    }

                    level = Math.Min(MaxLevel, (int)(-Math.Log(1.0 - _levelRandom.NextDouble()) * _levelFactor));
                    slot = AllocateSlot(id, level, context.Query);
                    _slotsById.Set(slot);
                    Interlocked.Increment(ref _liveCount);
                    train = _floats is not null && _quantizer is null && _liveCount == Options.QuantizationTrainingSize;
                }

                Link(slot, level, context);
            }
            finally
            {
                _structureLock.ExitReadLock();
            }

            if (train)
            {
                TrainQuantizer();
            }
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    private int AllocateSlot(long id, int level, ReadOnlySpan<float> vector)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
        }
        else
        {
            slot = _slotCount;
            GrowTo(slot + 1);
        }

        if (_reader is null)
        {
            vector.CopyTo(Vector(slot));
        }

        if (_quantizer is { } quantizer)
        {
            quantizer.Encode(vector, Code(slot));
        }

        _ids.At(slot) = id;
        _levels.At(slot) = (byte)level;
        ClearBottomLinks(slot);
        _upperLinks.At(slot) = level > 0 ? new int[level * (_m + 1)] : null;
        Volatile.Write(ref _states.At(slot), LiveSlot);
        if (slot == _slotCount)
        {
            Volatile.Write(ref _slotCount, slot + 1);
        }

        return slot;
    }

    private void GrowTo(int slots)
    {
        if (_deviceVectors is null)
        {
            _floats?.EnsureCapacity(slots);
        }

        _nodes.EnsureCapacity(slots);
        _upperLinks.EnsureCapacity(slots);
        _ids.EnsureCapacity(slots);
        _levels.EnsureCapacity(slots);
        _states.EnsureCapacity(slots);
    }

    private void TrainQuantizer()
    {
        _structureLock.EnterWriteLock();
        try
        {
            if (_quantizer is not null)
            {
                return;
            }

            var rows = new List<float[]>();
            for (var s = 0; s < _slotCount; s++)
            {
                if (_states.At(s) == LiveSlot)
                {
                    rows.Add(Vector(s).ToArray());
                }
            }

            SetQuantizer(TrainCodec(rows));
        }
        finally
        {
            _structureLock.ExitWriteLock();
        }
    }

    /// <summary>The options of an index whose owner keeps the floats: rotated codes if asked for, int8 otherwise.</summary>
    private static HnswOptions WithCodes(HnswOptions options) =>
        options with { Quantization = RotatedQuantizer.BitsOf(options.Quantization) > 0 ? options.Quantization : VectorQuantization.ScalarInt8 };

    /// <summary>A codec of the index's kind fitted to <paramref name="rows"/> (stored vectors).</summary>
    private IVectorCodec TrainCodec(IEnumerable<float[]> rows) =>
        RotatedQuantizer.BitsOf(Options.Quantization) is > 0 and var bits
            ? RotatedQuantizer.Train(Space.Metric, Space.Dimension, rows, (uint)Options.Seed, bits)
            : ScalarQuantizer.Train(Space.Metric, Space.Dimension, rows);

    private void SetQuantizer(IVectorCodec quantizer)
    {
        for (var s = 0; s < _slotCount; s++)
        {
            quantizer.Encode(Vector(s), Code(s));
        }

        Volatile.Write(ref _quantizer, quantizer);
    }
}
