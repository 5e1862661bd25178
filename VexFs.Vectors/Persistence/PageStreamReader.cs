using System.Buffers;

namespace VexFs.Vectors.Persistence;

/// <summary>
/// Reads back the byte stream of <see cref="PageStreamWriter"/>, verifying every page, in large sequential
/// batches. Never reads past the pages it was given.
/// </summary>
internal sealed class PageStreamReader : IDisposable
{
    private const int BatchPages = 64;

    private readonly IPageStore _store;
    private readonly int _pageSize;
    private readonly long _endPage;
    private readonly byte[] _batch;
    private long _batchFirstPage;
    private int _batchPages;
    private int _pageInBatch;
    private int _offset;
    private int _length;
    private uint _sequence;

    public PageStreamReader(IPageStore store, long firstPage, long pageCount)
    {
        _store = store;
        _pageSize = store.PageSize;
        _endPage = firstPage + pageCount;
        _batch = ArrayPool<byte>.Shared.Rent(_pageSize * BatchPages);
        _batchFirstPage = firstPage;
        _pageInBatch = -1;
    }

    /// <summary>The page the next byte comes from (or the last page read), for error messages.</summary>
    public long CurrentPage => _batchFirstPage + Math.Max(0, _pageInBatch);

    public void ReadExactly(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_offset == _length)
            {
                NextPage();
            }

            var n = Math.Min(destination.Length, _length - _offset);
            _batch.AsSpan((_pageInBatch * _pageSize) + DataPageHeader.Size + _offset, n).CopyTo(destination);
            _offset += n;
            destination = destination[n..];
        }
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_batch);

    private void NextPage()
    {
        if (++_pageInBatch >= _batchPages)
        {
            _batchFirstPage += _batchPages;
            if (_batchFirstPage >= _endPage)
            {
                throw new CorruptIndexException(_endPage - 1, "data length", "the data stream ends early");
            }

            _batchPages = (int)Math.Min(BatchPages, _endPage - _batchFirstPage);
            _store.Read(_batchFirstPage, _batch.AsSpan(0, _batchPages * _pageSize));
            _pageInBatch = 0;
        }

        _offset = 0;
        _length = DataPageHeader.Verify(_batch.AsSpan(_pageInBatch * _pageSize, _pageSize), CurrentPage, _sequence++);
        if (_length == 0)
        {
            throw new CorruptIndexException(CurrentPage, "payload length", "an empty page inside the data stream");
        }
    }
}
