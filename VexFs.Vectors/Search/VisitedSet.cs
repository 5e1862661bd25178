namespace VexFs.Vectors.Search;

/// <summary>
/// Marks the slots a search has reached. A generation counter makes clearing free: a slot is visited when
/// its mark equals the current generation, and the array is only wiped when the counter wraps.
/// </summary>
internal sealed class VisitedSet
{
    private ushort[] _marks = new ushort[1024];
    private ushort _generation;

    /// <summary>Starts a new search over at least <paramref name="capacity"/> slots.</summary>
    public void Reset(int capacity)
    {
        if (_marks.Length < capacity)
        {
            _marks = new ushort[Math.Max(capacity, _marks.Length * 2)];
            _generation = 0;
        }

        if (++_generation == 0)
        {
            Array.Clear(_marks);
            _generation = 1;
        }
    }

    /// <summary>Marks <paramref name="slot"/>; returns false if it was already marked in this search.</summary>
    public bool Visit(int slot)
    {
        var marks = _marks;
        if ((uint)slot >= (uint)marks.Length)
        {
            Array.Resize(ref _marks, Math.Max(slot + 1, marks.Length * 2));
            marks = _marks;
        }

        if (marks[slot] == _generation)
        {
            return false;
        }

        marks[slot] = _generation;
        return true;
    }
}
