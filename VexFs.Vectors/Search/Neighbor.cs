namespace VexFs.Vectors.Search;

/// <summary>A slot and its distance to the current query.</summary>
internal readonly record struct Neighbor(float Distance, int Slot);
