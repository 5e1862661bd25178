using System.Runtime.InteropServices;
using VexFs.Vectors.Persistence;

namespace VexFs.Vectors.Hnsw;

/// <summary>
/// Reads individual float vectors from the vector section of a saved index, verifying the pages they lie on.
/// </summary>
internal sealed class DeviceVectors
{
    private readonly IPageStore _store;
    private readonly long _firstDataPage;
    private readonly long _pageCount;
    private readonly long _streamLength;
    private readonly long _sectionOffset;
    private readonly int _dimension;
    private readonly int _payloadSize;

    public DeviceVectors(IPageStore store, long firstDataPage, long pageCount, long streamLength, long sectionOffset, int dimension)
    {
        _store = store;
        _firstDataPage = firstDataPage;
        _pageCount = pageCount;
        _streamLength = streamLength;
        _sectionOffset = sectionOffset;
        _dimension = dimension;
        _payloadSize = store.PageSize - DataPageHeader.Size;
        BufferBytes = ((((_dimension * sizeof(float)) + _payloadSize - 1) / _payloadSize) + 1) * store.PageSize;
    }

    /// <summary>The size of the page buffer <see cref="Read"/> needs.</summary>
    public int BufferBytes { get; }

    /// <summary>Reads the vector of <paramref name="slot"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="CorruptIndexException">A page the vector lies on fails verification.</exception>
    public void Read(int slot, Span<float> destination, byte[] pages)
    {
        var bytes = MemoryMarshal.AsBytes(destination[.._dimension]);
        var position = _sectionOffset + ((long)slot * bytes.Length);
        var first = position / _payloadSize;
        var last = (position + bytes.Length - 1) / _payloadSize;
        var count = (int)(last - first + 1);
        _store.Read(_firstDataPage + first, pages.AsSpan(0, count * _store.PageSize));
        var offset = (int)(position % _payloadSize);
        for (var i = 0; i < count; i++)
        {
            var index = first + i;
            var page = pages.AsSpan(i * _store.PageSize, _store.PageSize);
            var length = DataPageHeader.Verify(page, _firstDataPage + index, (uint)index);
            var expected = index == _pageCount - 1 ? _streamLength - (index * _payloadSize) : _payloadSize;
            if (length != expected)
            {
                throw new CorruptIndexException(_firstDataPage + index, "payload length", $"{length} bytes where the stream needs {expected}");
            }

            var n = Math.Min(bytes.Length, _payloadSize - offset);
            page.Slice(DataPageHeader.Size + offset, n).CopyTo(bytes);
            bytes = bytes[n..];
            offset = 0;
        }

        if (!BitConverter.IsLittleEndian)
        {
            var all = MemoryMarshal.AsBytes(destination[.._dimension]);
            for (var i = 0; i < all.Length; i += 4)
            {
                all.Slice(i, 4).Reverse();
            }
        }
    }
}
