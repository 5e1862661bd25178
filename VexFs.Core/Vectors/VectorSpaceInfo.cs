using VexFs.Vectors;

namespace VexFs.Core;

/// <summary>A vector space of a filesystem: files carry at most one vector each in it.</summary>
/// <param name="Name">Its name, as in <c>user.vexfs.NAME</c>.</param>
/// <param name="Dimension">The components of every vector.</param>
/// <param name="Metric">How distances are measured.</param>
/// <param name="Count">Files that carry a vector in it.</param>
public sealed record VectorSpaceInfo(string Name, int Dimension, VectorMetric Metric, long Count);
