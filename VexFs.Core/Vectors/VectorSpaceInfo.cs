using VexFs.Vectors;

namespace VexFs.Core;

/// <summary>A vector space of a filesystem: files carry at most one vector each in it.</summary>
/// <param name="Name">Its name, as in <c>user.vexfs.NAME</c>.</param>
/// <param name="Dimension">The components of every vector.</param>
/// <param name="Metric">How distances are measured.</param>
/// <param name="Count">Files that carry a vector in it.</param>
/// <param name="IndexGeneration">How many times its search index has been saved (0: never; an open then builds it from the vectors).</param>
/// <param name="UnsavedChanges">Vectors set or removed since the index was last saved, which an open catches up on.</param>
/// <param name="IndexLoaded">Whether this open loaded the saved index (and caught it up) rather than building it.</param>
/// <param name="FloatsOnDevice">Whether its index keeps codes only and reads the float vectors from their rows (see <see cref="VexFileSystemOptions.VectorResidency"/>).</param>
/// <param name="IndexMemoryBytes">The memory its search index holds: vectors or codes, links, ids and bookkeeping.</param>
public sealed record VectorSpaceInfo(
    string Name,
    int Dimension,
    VectorMetric Metric,
    long Count,
    long IndexGeneration = 0,
    long UnsavedChanges = 0,
    bool IndexLoaded = false,
    bool FloatsOnDevice = false,
    long IndexMemoryBytes = 0);
