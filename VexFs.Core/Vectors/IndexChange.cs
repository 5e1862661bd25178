namespace VexFs.Core.Vectors;

/// <summary>An index change deferred to the end of an operation: a new vector of a space, or any other change.</summary>
internal readonly record struct IndexChange(SpaceState? State, long Key, float[]? Vector, Action? Other)
{
    public IndexChange(Action other) : this(null, 0, null, other) { }

    public IndexChange(SpaceState state, long key, float[] vector) : this(state, key, vector, null) { }
}
