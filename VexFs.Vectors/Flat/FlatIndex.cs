using System.Globalization;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Flat;

/// <summary>
/// An exact index: every search compares the query with every stored vector, so it always finds the true
/// nearest neighbors. Vectors are packed densely in contiguous chunks; removing one moves the last into its place.
/// Where the processor multiplies bytes (AVX-VNNI), byte codes of the vectors screen the rows first, so that only
/// the few that can be among the nearest are compared in floats; the results are the same.
/// </summary>
/// <remarks>Safe for concurrent use: searches share a read lock, changes take the write lock.</remarks>
public sealed partial class FlatIndex : IVectorIndex, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SlotArray<float> _vectors;
    private readonly SlotArray<long> _ids;
    private readonly Dictionary<long, int> _slots = [];
    private readonly ScreeningCodes? _screening;
    private int _count;

    /// <summary>Creates an empty exact index of vectors in <paramref name="space"/>.</summary>
    public FlatIndex(VectorSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        Space = space;
        _vectors = new SlotArray<float>(space.Dimension, sizeof(float));
        _ids = new SlotArray<long>(1, sizeof(long));
        _screening = CodeDots.IsSupported ? new ScreeningCodes(space) : null;
    }

    /// <inheritdoc />
    public VectorSpace Space { get; }

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The bytes held by vectors, screening codes, ids and the id-to-slot map (about 24 bytes an entry).
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return ((long)_vectors.Capacity * Space.Dimension * sizeof(float)) + ((long)_ids.Capacity * sizeof(long))
                    + (_slots.Count * 24L) + (_screening?.MemoryBytes ?? 0);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <inheritdoc />
    public void Add(long id, ReadOnlySpan<float> vector)
    {
        var prepared = new float[Space.Dimension];
        Space.Prepare(vector, prepared, nameof(vector));
        _lock.EnterWriteLock();
        try
        {
            if (_slots.ContainsKey(id))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"A vector is already stored under id {id}."), nameof(id));
            }

            Append([id], [prepared]);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Adds many vectors at once. The screening codes are trained once, on every row, when the index first holds
    /// enough of them or has doubled since their last training, rather than on whichever row made it so: a copy
    /// built from a list screens with ranges that fit all of its rows.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length, an id repeats or is stored, or a vector
    /// is invalid; nothing is added then.</exception>
    public void AddRange(IReadOnlyList<long> ids, IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(vectors);
        if (ids.Count != vectors.Count)
        {
            throw new ArgumentException("There must be one id per vector.", nameof(vectors));
        }

        var prepared = new float[ids.Count][];
        for (var i = 0; i < prepared.Length; i++)
        {
            prepared[i] = new float[Space.Dimension];
            Space.Prepare(vectors[i], prepared[i], nameof(vectors));
        }

        _lock.EnterWriteLock();
        try
        {
            var seen = new HashSet<long>(ids.Count);
            foreach (var id in ids)
            {
                if (_slots.ContainsKey(id) || !seen.Add(id))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"A vector is already stored under id {id}."), nameof(ids));
                }
            }

            Append(ids, prepared);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Stores <paramref name="prepared"/> (checked, in stored form) under <paramref name="ids"/> (none stored yet)
    /// after the last row, and codes them: by training on every row when the index first holds enough of them or
    /// has doubled since the codes' last training, else one by one. The caller holds the write lock.
    /// </summary>
    private void Append(IReadOnlyList<long> ids, float[][] prepared)
    {
        var first = _count;
        var count = first + prepared.Length;
        _vectors.EnsureCapacity(count);
        _ids.EnsureCapacity(count);
        for (var i = 0; i < prepared.Length; i++)
        {
            prepared[i].CopyTo(_vectors.Row(first + i));
            _ids.At(first + i) = ids[i];
            _slots.Add(ids[i], first + i);
        }

        if (_screening is { } screening)
        {
            screening.EnsureCapacity(count);
            if (screening.ShouldTrain(count))
            {
                screening.Train(_vectors, count);
            }
            else if (screening.TrainedRows > 0)
            {
                for (var i = 0; i < prepared.Length; i++)
                {
                    screening.Set(first + i, prepared[i]);
                }
            }
        }

        Volatile.Write(ref _count, count);
    }

    /// <inheritdoc />
    public void Update(long id, ReadOnlySpan<float> vector)
    {
        var prepared = new float[Space.Dimension];
        Space.Prepare(vector, prepared, nameof(vector));
        _lock.EnterWriteLock();
        try
        {
            var slot = SlotOf(id);
            prepared.CopyTo(_vectors.Row(slot));
            if (_screening is { TrainedRows: > 0 } screening)
            {
                screening.Set(slot, prepared);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public void Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            var slot = SlotOf(id);
            var last = _count - 1;
            if (slot != last)
            {
                var movedId = _ids.At(last);
                _vectors.Row(last).CopyTo(_vectors.Row(slot));
                _ids.At(slot) = movedId;
                _slots[movedId] = slot;
                if (_screening is { TrainedRows: > 0 } screening)
                {
                    screening.Move(last, slot);
                }
            }

            _slots.Remove(id);
            Volatile.Write(ref _count, last);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public bool Contains(long id)
    {
        _lock.EnterReadLock();
        try
        {
            return _slots.ContainsKey(id);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public float[] GetVector(long id)
    {
        _lock.EnterReadLock();
        try
        {
            return _vectors.Row(SlotOf(id)).ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Releases the lock that guards the index.</summary>
    public void Dispose() => _lock.Dispose();

    private int SlotOf(long id) =>
        _slots.TryGetValue(id, out var slot)
            ? slot
            : throw new KeyNotFoundException(string.Create(CultureInfo.InvariantCulture, $"No vector is stored under id {id}."));
}
