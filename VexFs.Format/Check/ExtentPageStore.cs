using VexFs.BlockDevices;
using VexFs.Format.Records;
using VexFs.Vectors.Persistence;

namespace VexFs.Format.Check;

/// <summary>The pages of a saved search index as fsck reads them: the blocks an inode's extents map, one page per block, read only.</summary>
internal sealed class ExtentPageStore(BlockDevice device, IReadOnlyList<Extent> extents, long pages, int blockSize) : IPageStore
{
    private readonly Extent[] _extents = [.. extents.Where(e => !e.Unwritten).OrderBy(e => e.Logical)];

    public int PageSize => blockSize;

    public long PageCount => pages;

    public void Read(long firstPage, Span<byte> destination)
    {
        for (int done = 0; done < destination.Length;)
        {
            long page = firstPage + (done / blockSize);
            var extent = Array.Find(_extents, e => e.Logical <= page && page < e.LogicalEnd);
            if (extent.Length == 0)
            {
                throw new CorruptIndexException(page, "page", "the page is not mapped");
            }

            int bytes = (int)Math.Min(extent.LogicalEnd - page, (destination.Length - done) / blockSize) * blockSize;
            device.Read((extent.Physical + (page - extent.Logical)) * blockSize, destination.Slice(done, bytes));
            done += bytes;
        }
    }

    public void Write(long firstPage, ReadOnlySpan<byte> source) => throw new NotSupportedException("fsck reads a saved index; it never writes one.");

    public long Allocate(long count) => throw new NotSupportedException("fsck reads a saved index; it never writes one.");

    public void Flush()
    {
    }
}
