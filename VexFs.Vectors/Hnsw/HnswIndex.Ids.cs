namespace VexFs.Vectors.Hnsw;

public sealed partial class HnswIndex
{
    /// <summary>The ids of the vectors the index holds, in no particular order.</summary>
    public long[] GetIds()
    {
        lock (_mapLock)
        {
            var ids = new long[_liveCount];
            int found = 0;
            for (var s = 0; s < _slotCount && found < ids.Length; s++)
            {
                if (_states.At(s) == LiveSlot)
                {
                    ids[found++] = _ids.At(s);
                }
            }

            return ids;
        }
    }
}
