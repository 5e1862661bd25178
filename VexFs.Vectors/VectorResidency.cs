namespace VexFs.Vectors;

/// <summary>Where a reopened index keeps its float vectors.</summary>
public enum VectorResidency
{
    /// <summary>In memory: the index can be searched and changed.</summary>
    Memory = 0,

    /// <summary>
    /// On the page store, read only to re-rank the final candidates of a search. Only codes, links and ids
    /// stay in memory, so an index larger than memory can be searched. Needs a quantized index; the reopened
    /// index is read-only and the store must stay open while it is used.
    /// </summary>
    Device = 1,
}
