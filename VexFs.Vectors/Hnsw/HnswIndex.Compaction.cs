using VexFs.Vectors.Search;

namespace VexFs.Vectors.Hnsw;

public sealed partial class HnswIndex
{
    /// <summary>
    /// Unlinks removed vectors and frees their slots for reuse. Every live node that linked to a removed one
    /// is reconnected by re-running the neighbor-selection heuristic over its remaining links and the links
    /// of the removed neighbors, so that recall holds. Waits for running inserts; searches keep running.
    /// </summary>
    /// <returns>The number of slots freed.</returns>
    /// <exception cref="InvalidOperationException">The index is read-only (<see cref="IsReadOnly"/>).</exception>
    public int Compact()
    {
        ThrowIfReadOnly();
        _structureLock.EnterWriteLock();
        var context = _contexts.Get();
        try
        {
            if (Volatile.Read(ref _deletedCount) == 0)
            {
                return 0;
            }

            var slotCount = _slotCount;
            for (var s = 0; s < slotCount; s++)
            {
                if (_states.At(s) == LiveSlot)
                {
                    for (var l = (int)_levels.At(s); l >= 0; l--)
                    {
                        Repair(s, l, context);
                    }
                }
            }

            ReplaceEntryIfRemoved();
            var freed = 0;
            lock (_mapLock)
            {
                for (var s = 0; s < slotCount; s++)
                {
                    if (_states.At(s) == DeletedSlot)
                    {
                        ClearBottomLinks(s);
                        _levels.At(s) = 0;
                        _upperLinks.At(s) = null;
                        Volatile.Write(ref _states.At(s), FreeSlot);
                        _freeSlots.Push(s);
                        freed++;
                    }
                }

                Interlocked.Add(ref _deletedCount, -freed);
            }

            return freed;
        }
        finally
        {
            _contexts.Return(context);
            _structureLock.ExitWriteLock();
        }
    }

    private void Repair(int slot, int level, SearchContext context)
    {
        var links = Neighbors(slot, level, context.Links, context.LinkWords);
        var broken = false;
        foreach (var neighbor in links)
        {
            broken |= _states.At(neighbor) != LiveSlot;
        }

        if (!broken)
        {
            return;
        }

        var visited = context.Visited;
        visited.Reset(_slotCount);
        visited.Visit(slot);
        var candidates = context.Selection;
        candidates.Clear();
        var prepared = PrepareFrom(slot);
        foreach (var neighbor in links)
        {
            if (!visited.Visit(neighbor))
            {
                continue;
            }

            if (_states.At(neighbor) == LiveSlot)
            {
                candidates.Add(new Neighbor(From(slot, prepared, neighbor), neighbor));
                continue;
            }

            foreach (var candidate in Neighbors(neighbor, level, context.SecondLinks, context.LinkWords))
            {
                if (_states.At(candidate) == LiveSlot && visited.Visit(candidate))
                {
                    candidates.Add(new Neighbor(From(slot, prepared, candidate), candidate));
                }
            }
        }

        candidates.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
        SelectNeighbors(candidates, MaxLinks(level), context.Chosen);
        var chosen = context.Chosen;
        lock (NodeLock(slot))
        {
            SetNeighbors(slot, level, chosen, context.Links);
        }
    }

    private void ReplaceEntryIfRemoved()
    {
        var (entry, _) = Unpack(_entry);
        if (entry >= 0 && _states.At(entry) == LiveSlot)
        {
            return;
        }

        var best = -1;
        var bestLevel = -1;
        for (var s = 0; s < _slotCount; s++)
        {
            if (_states.At(s) == LiveSlot && _levels.At(s) > bestLevel)
            {
                best = s;
                bestLevel = _levels.At(s);
            }
        }

        lock (_entryLock)
        {
            Volatile.Write(ref _entry, best == -1 ? -1 : Pack(best, bestLevel));
        }
    }
}
