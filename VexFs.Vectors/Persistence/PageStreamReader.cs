using System.Buffers;
using System.Runtime.CompilerServices;

namespace VexFs.Vectors.Persistence;

/// <summary>
/// Reads back the byte stream of <see cref="PageStreamWriter"/>, verifying every page it loads, in large
/// sequential batches. Every page but the last is full, so a stream position maps to a page by division,
/// which lets <see cref="Skip"/> pass over a section without reading it. Never reads past its pages.
/// </summary>
internal sealed class PageStreamReader : IDisposable
{
    private const int BatchPages = 64;

    private readonly IPageStore _store;
    private readonly int _pageSize;
    private readonly int _payloadSize;
    private readonly long _firstPage;
    private readonly long _pageCount;
    private readonly long _length;
    private readonly byte[] _batch;
    private long _batchFirst = -1;
    private int _batchPages;
    private long _position;

    public PageStreamReader(IPageStore store, long firstPage, long pageCount, long length)
    {
        _store = store;
        _pageSize = store.PageSize;
        _payloadSize = _pageSize - DataPageHeader.Size;
        _firstPage = firstPage;
        _pageCount = pageCount;
        _length = length;
        _batch = ArrayPool<byte>.Shared.Rent(_pageSize * BatchPages);
    }

    /// <summary>The page the next byte comes from, for error messages.</summary>
    public long CurrentPage => _firstPage + Math.Min(_position / _payloadSize, Math.Max(0, _pageCount - 1));

    /// <summary>The stream position of the next byte.</summary>
    public long Position => _position;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ReadExactly(Span<byte> destination)
    {
        if (destination.Length > _length - _position)
        {
            throw new CorruptIndexException(CurrentPage, "data length", "the data stream ends early");
        }

        while (!destination.IsEmpty)
        {
            var index = _position / _payloadSize;
            var page = Load(index);
            var offset = (int)(_position % _payloadSize);
            var n = Math.Min(destination.Length, _payloadSize - offset);
            page.Slice(DataPageHeader.Size + offset, n).CopyTo(destination);
            _position += n;
            destination = destination[n..];
        }
    }

    /// <summary>Moves past <paramref name="count"/> bytes without reading the pages that hold only them.</summary>
    public void Skip(long count)
    {
        if (count > _length - _position)
        {
            throw new CorruptIndexException(CurrentPage, "data length", "the data stream ends early");
        }

        _position += count;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_batch);

    /// <summary>The verified page with stream index <paramref name="index"/>, loading its batch if needed.</summary>
    private ReadOnlySpan<byte> Load(long index)
    {
        if (_batchFirst < 0 || index < _batchFirst || index >= _batchFirst + _batchPages)
        {
            _batchFirst = index;
            _batchPages = (int)Math.Min(BatchPages, _pageCount - index);
            _store.Read(_firstPage + index, _batch.AsSpan(0, _batchPages * _pageSize));
            for (var i = 0; i < _batchPages; i++)
            {
                var number = _batchFirst + i;
                var length = DataPageHeader.Verify(_batch.AsSpan(i * _pageSize, _pageSize), _firstPage + number, (uint)number);
                var expected = number == _pageCount - 1 ? _length - (number * _payloadSize) : _payloadSize;
                if (length != expected)
                {
                    throw new CorruptIndexException(_firstPage + number, "payload length", $"{length} bytes where the stream needs {expected}");
                }
            }
        }

        return _batch.AsSpan((int)(index - _batchFirst) * _pageSize, _pageSize);
    }
}
