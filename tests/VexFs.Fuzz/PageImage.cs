using VexFs.Vectors.Persistence;

namespace VexFs.Fuzz;

/// <summary>A vector index's pages held in memory: read from a fuzz input, or written by a save to make seeds.</summary>
internal sealed class PageImage(int pageSize) : IPageStore
{
    private readonly List<byte[]> _pages = [];

    public int PageSize => pageSize;

    public long PageCount => _pages.Count;

    public IReadOnlyList<byte[]> Pages => _pages;

    public static PageImage Of(ReadOnlySpan<byte> input, int pageSize)
    {
        var image = new PageImage(pageSize);
        for (int at = 0; at < input.Length; at += pageSize)
        {
            image._pages.Add(FuzzInput.Fit(input[at..], pageSize));
        }

        return image;
    }

    public void Read(long firstPage, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length / pageSize; i++)
        {
            _pages[checked((int)(firstPage + i))].CopyTo(destination.Slice(i * pageSize, pageSize));
        }
    }

    public void Write(long firstPage, ReadOnlySpan<byte> source)
    {
        for (int i = 0; i < source.Length / pageSize; i++)
        {
            source.Slice(i * pageSize, pageSize).CopyTo(_pages[checked((int)(firstPage + i))]);
        }
    }

    public long Allocate(long count)
    {
        long first = _pages.Count;
        for (long i = 0; i < count; i++)
        {
            _pages.Add(new byte[pageSize]);
        }

        return first;
    }

    public void Flush()
    {
    }
}
