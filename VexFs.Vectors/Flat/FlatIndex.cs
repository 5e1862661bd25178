using System.Globalization;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Flat;

/// <summary>
/// An exact index: every search compares the query with every stored vector, so it always finds the true
/// nearest neighbors. Vectors are packed densely in contiguous chunks; removing one moves the last into its place.
/// </summary>
/// <remarks>Safe for concurrent use: searches share a read lock, changes take the write lock.</remarks>
public sealed partial class FlatIndex : IVectorIndex, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SlotArray<float> _vectors;
    private readonly SlotArray<long> _ids;
    private readonly Dictionary<long, int> _slots = [];
    private int _count;

    /// <summary>Creates an empty exact index of vectors in <paramref name="space"/>.</summary>
    public FlatIndex(VectorSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        Space = space;
        _vectors = new SlotArray<float>(space.Dimension, sizeof(float));
        _ids = new SlotArray<long>(1, sizeof(long));
    }

    /// <inheritdoc />
    public VectorSpace Space { get; }

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

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

            var slot = _count;
            _vectors.EnsureCapacity(slot + 1);
            _ids.EnsureCapacity(slot + 1);
            prepared.CopyTo(_vectors.Row(slot));
            _ids.At(slot) = id;
            _slots.Add(id, slot);
            Volatile.Write(ref _count, slot + 1);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public void Update(long id, ReadOnlySpan<float> vector)
    {
        var prepared = new float[Space.Dimension];
        Space.Prepare(vector, prepared, nameof(vector));
        _lock.EnterWriteLock();
        try
        {
            prepared.CopyTo(_vectors.Row(SlotOf(id)));
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
