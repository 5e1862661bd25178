using VexFs.Vectors.Persistence;

namespace VexFs.Vectors.Tests;

/// <summary>A page store in memory whose bytes tests can corrupt.</summary>
internal sealed class MemoryPageStore(int pageSize) : IPageStore
{
    private readonly List<byte[]> _pages = [];

    public int PageSize => pageSize;

    public long PageCount => _pages.Count;

    public int Flushes { get; private set; }

    public byte[] Page(long number) => _pages[(int)number];

    public void Truncate(int pages) => _pages.RemoveRange(pages, _pages.Count - pages);

    public void Read(long firstPage, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length / pageSize; i++)
        {
            _pages[(int)firstPage + i].CopyTo(destination.Slice(i * pageSize, pageSize));
        }
    }

    public void Write(long firstPage, ReadOnlySpan<byte> source)
    {
        for (var i = 0; i < source.Length / pageSize; i++)
        {
            source.Slice(i * pageSize, pageSize).CopyTo(_pages[(int)firstPage + i]);
        }
    }

    public long Allocate(long count)
    {
        var first = _pages.Count;
        for (var i = 0; i < count; i++)
        {
            _pages.Add(new byte[pageSize]);
        }

        return first;
    }

    public void Flush() => Flushes++;
}
