namespace VexFs.Vectors;

/// <summary>
/// Where an index whose owner keeps the float vectors reads one (see the <c>HnswIndex</c> constructor that
/// takes a reader): a filesystem reads it from the file's row on the device, a database from its table.
/// </summary>
public interface IVectorReader
{
    /// <summary>
    /// Writes the vector stored under <paramref name="id"/>, as it was given to the index (prepared: unit length
    /// under cosine), into <paramref name="destination"/>. Called from concurrent searches.
    /// </summary>
    void Read(long id, Span<float> destination);
}
