namespace VexFs.Vectors;

/// <summary>One search result: the id of a stored vector and its distance to the query.</summary>
/// <param name="Id">The 64-bit id the vector was stored under.</param>
/// <param name="Distance">The distance to the query in the index's <see cref="VectorMetric"/>.</param>
public readonly record struct VectorMatch(long Id, float Distance);
