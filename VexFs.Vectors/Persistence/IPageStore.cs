namespace VexFs.Vectors.Persistence;

/// <summary>
/// Fixed-size pages an index persists into. The filesystem provides one from journaled blocks;
/// <see cref="PageFile"/> provides one from a plain file.
/// </summary>
/// <remarks>
/// Reads and writes address whole, consecutive pages: a buffer's length is a multiple of
/// <see cref="PageSize"/>, so that a large index moves in long sequential transfers.
/// </remarks>
public interface IPageStore
{
    /// <summary>The bytes in one page: a power of two of at least 512.</summary>
    int PageSize { get; }

    /// <summary>The number of pages that exist (numbered from 0).</summary>
    long PageCount { get; }

    /// <summary>Reads consecutive pages starting at <paramref name="firstPage"/> into <paramref name="destination"/>.</summary>
    void Read(long firstPage, Span<byte> destination);

    /// <summary>Writes consecutive pages starting at <paramref name="firstPage"/> from <paramref name="source"/>.</summary>
    void Write(long firstPage, ReadOnlySpan<byte> source);

    /// <summary>Appends <paramref name="count"/> zeroed pages and returns the number of the first.</summary>
    long Allocate(long count);

    /// <summary>Makes every completed write durable.</summary>
    void Flush();
}
