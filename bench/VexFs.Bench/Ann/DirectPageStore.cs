using VexFs.BlockDevices;
using VexFs.Vectors.Persistence;

namespace VexFs.Bench.Ann;

/// <summary>
/// A saved index's page file read with O_DIRECT, through the library's image device: every page read goes to
/// the disk, none to the page cache. Read-only.
/// </summary>
internal sealed class DirectPageStore(string path) : IPageStore, IDisposable
{
    private const int Page = 4096;

    private readonly ImageFileDevice _device = ImageFileDevice.Open(path, new ImageFileOptions { DirectIO = true, ReadOnly = true, SectorSize = Page });

    public int PageSize => Page;

    private long _reads;

    public long PageCount => _device.Length / Page;

    /// <summary>The reads so far (one per vector re-ranked, after the load's).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public void Read(long firstPage, Span<byte> destination)
    {
        Interlocked.Increment(ref _reads);
        _device.Read(firstPage * Page, destination);
    }

    public void Write(long firstPage, ReadOnlySpan<byte> source) => throw new NotSupportedException("The store is read-only.");

    public long Allocate(long count) => throw new NotSupportedException("The store is read-only.");

    public void Flush()
    {
    }

    public void Dispose() => _device.Dispose();
}
