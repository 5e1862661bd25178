using System.Buffers;

namespace VexFs.Vectors.Persistence;

/// <summary>Writes a byte stream into consecutive data pages, sealing each, in large sequential batches.</summary>
internal sealed class PageStreamWriter : IDisposable
{
    private const int BatchPages = 64;

    private readonly IPageStore _store;
    private readonly int _pageSize;
    private readonly int _payloadSize;
    private readonly byte[] _batch;
    private long _nextPage;
    private int _pagesInBatch;
    private int _used;
    private uint _sequence;

    public PageStreamWriter(IPageStore store, long firstPage)
    {
        _store = store;
        _pageSize = store.PageSize;
        _payloadSize = _pageSize - DataPageHeader.Size;
        _batch = ArrayPool<byte>.Shared.Rent(_pageSize * BatchPages);
        _nextPage = firstPage;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var page = _batch.AsSpan(_pagesInBatch * _pageSize, _pageSize);
            var n = Math.Min(data.Length, _payloadSize - _used);
            data[..n].CopyTo(page[(DataPageHeader.Size + _used)..]);
            _used += n;
            data = data[n..];
            if (_used == _payloadSize)
            {
                SealPage();
            }
        }
    }

    /// <summary>Seals the last partial page and writes everything out.</summary>
    public void Complete()
    {
        if (_used > 0)
        {
            SealPage();
        }

        WriteBatch();
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_batch);

    private void SealPage()
    {
        var page = _batch.AsSpan(_pagesInBatch * _pageSize, _pageSize);
        page[(DataPageHeader.Size + _used)..].Clear();
        DataPageHeader.Seal(page, _sequence++, _used);
        _used = 0;
        if (++_pagesInBatch == BatchPages)
        {
            WriteBatch();
        }
    }

    private void WriteBatch()
    {
        if (_pagesInBatch == 0)
        {
            return;
        }

        _store.Write(_nextPage, _batch.AsSpan(0, _pagesInBatch * _pageSize));
        _nextPage += _pagesInBatch;
        _pagesInBatch = 0;
    }
}
