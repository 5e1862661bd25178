using System.Globalization;
using System.Numerics;
using Microsoft.Win32.SafeHandles;

namespace VexFs.Vectors.Persistence;

/// <summary>A page store backed by a plain file: page n lives at byte offset n × page size.</summary>
public sealed class PageFile : IPageStore, IDisposable
{
    private readonly SafeFileHandle _handle;
    private long _pageCount;

    /// <summary>Opens or creates the page file at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pageSize"/> is not a power of two between 512 and 65,536.</exception>
    /// <exception cref="IOException">The file's length is not a whole number of pages.</exception>
    public PageFile(string path, int pageSize = 4096, FileMode mode = FileMode.OpenOrCreate)
    {
        if (pageSize is < 512 or > 65536 || !BitOperations.IsPow2(pageSize))
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "The page size must be a power of two between 512 and 65,536.");
        }

        PageSize = pageSize;
        _handle = File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.Read);
        var length = RandomAccess.GetLength(_handle);
        if (length % pageSize != 0)
        {
            _handle.Dispose();
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{path} is {length} bytes long, not a whole number of {pageSize}-byte pages."));
        }

        _pageCount = length / pageSize;
    }

    /// <inheritdoc />
    public int PageSize { get; }

    /// <inheritdoc />
    public long PageCount => Interlocked.Read(ref _pageCount);

    /// <inheritdoc />
    public void Read(long firstPage, Span<byte> destination)
    {
        Check(firstPage, destination.Length);
        var offset = firstPage * PageSize;
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(_handle, destination, offset);
            if (read == 0)
            {
                throw new EndOfStreamException(string.Create(CultureInfo.InvariantCulture, $"The page file ended at byte {offset}."));
            }

            destination = destination[read..];
            offset += read;
        }
    }

    /// <inheritdoc />
    public void Write(long firstPage, ReadOnlySpan<byte> source)
    {
        Check(firstPage, source.Length);
        RandomAccess.Write(_handle, source, firstPage * PageSize);
    }

    /// <inheritdoc />
    public long Allocate(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var first = _pageCount;
        RandomAccess.SetLength(_handle, (first + count) * PageSize);
        Interlocked.Exchange(ref _pageCount, first + count);
        return first;
    }

    /// <inheritdoc />
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private void Check(long firstPage, int length)
    {
        if (length % PageSize != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{length} bytes is not a whole number of {PageSize}-byte pages."), nameof(length));
        }

        if (firstPage < 0 || firstPage + (length / PageSize) > PageCount)
        {
            throw new ArgumentOutOfRangeException(nameof(firstPage), firstPage, string.Create(CultureInfo.InvariantCulture, $"Pages {firstPage}..{firstPage + (length / PageSize)} lie outside the {PageCount} pages of the file."));
        }
    }
}
