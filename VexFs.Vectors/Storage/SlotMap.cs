using System.Runtime.CompilerServices;

namespace VexFs.Vectors.Storage;

/// <summary>
/// Finds the slot that holds an id. An open-addressing table of slot numbers whose keys are read from the
/// index's own id array, so an entry costs 4 bytes (at most three quarters full) where a
/// <c>Dictionary&lt;long, int&gt;</c> spends 28. Linear probing; removal shifts later entries back, so no
/// tombstones build up. Not thread-safe: the index serializes access.
/// </summary>
internal sealed class SlotMap
{
    private const int Empty = -1;

    /// <summary>The longest table sized ahead: 2^30 entries (4 GiB).</summary>
    private const int MaxLength = 1 << 30;

    private readonly SlotArray<long> _ids;
    private int[] _table;
    private int _mask;
    private int _count;

    /// <summary>Creates an empty map over <paramref name="ids"/>, the id held by each slot.</summary>
    public SlotMap(SlotArray<long> ids)
    {
        _ids = ids;
        _table = NewTable(16);
        _mask = 15;
    }

    /// <summary>The number of ids mapped.</summary>
    public int Count => _count;

    /// <summary>The bytes of the table.</summary>
    public long Bytes => (long)_table.Length * sizeof(int);

    /// <summary>The slot of <paramref name="id"/>, if the map holds it.</summary>
    public bool TryGetValue(long id, out int slot)
    {
        var i = Find(id);
        slot = i >= 0 ? _table[i] : Empty;
        return i >= 0;
    }

    /// <summary>Whether the map holds <paramref name="id"/>.</summary>
    public bool ContainsKey(long id) => Find(id) >= 0;

    /// <summary>
    /// Maps the id that <paramref name="slot"/> holds (already written to the id array) to it, replacing the
    /// slot it was mapped to before, if any.
    /// </summary>
    public void Set(int slot) => Add(slot, replace: true);

    /// <summary>Maps the id that <paramref name="slot"/> holds to it; false if that id is already mapped.</summary>
    public bool TryAdd(int slot) => Add(slot, replace: false);

    /// <summary>Makes room for <paramref name="count"/> ids at once, so that filling the map (a load) does not rehash it.</summary>
    public void EnsureCapacity(int count)
    {
        var length = _table.Length;
        while (count * 4L > length * 3L && length < MaxLength)
        {
            length *= 2;
        }

        if (length != _table.Length)
        {
            Grow(length);
        }
    }

    /// <summary>Removes <paramref name="id"/>; false if the map did not hold it.</summary>
    public bool Remove(long id)
    {
        var hole = Find(id);
        if (hole < 0)
        {
            return false;
        }

        // Backward shift: move up every later entry of the probe run that may sit in the hole (its home
        // position is not cyclically after the hole), so that lookups never stop early at an empty entry.
        var table = _table;
        var j = hole;
        while (true)
        {
            j = (j + 1) & _mask;
            var slot = table[j];
            if (slot == Empty)
            {
                break;
            }

            var home = Home(_ids.At(slot));
            if (((j - home) & _mask) >= ((j - hole) & _mask))
            {
                table[hole] = slot;
                hole = j;
            }
        }

        table[hole] = Empty;
        _count--;
        return true;
    }

    private static int[] NewTable(int length)
    {
        var table = new int[length];
        Array.Fill(table, Empty);
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(long id) => IdComparer.Hash(id) & _mask;

    /// <summary>The table index that holds <paramref name="id"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Find(long id)
    {
        var table = _table;
        for (var i = Home(id); ; i = (i + 1) & _mask)
        {
            var slot = table[i];
            if (slot == Empty)
            {
                return -1;
            }

            if (_ids.At(slot) == id)
            {
                return i;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Add(int slot, bool replace)
    {
        var id = _ids.At(slot);
        var existing = Find(id);
        if (existing >= 0)
        {
            if (replace)
            {
                _table[existing] = slot;
            }

            return replace;
        }

        if ((_count + 1) * 4L > _table.Length * 3L)
        {
            Grow(_table.Length * 2);
        }

        Insert(slot, id);
        _count++;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Insert(int slot, long id)
    {
        var i = Home(id);
        while (_table[i] != Empty)
        {
            i = (i + 1) & _mask;
        }

        _table[i] = slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Grow(int length)
    {
        var old = _table;
        _table = NewTable(length);
        _mask = _table.Length - 1;
        foreach (var slot in old)
        {
            if (slot != Empty)
            {
                Insert(slot, _ids.At(slot));
            }
        }
    }
}
