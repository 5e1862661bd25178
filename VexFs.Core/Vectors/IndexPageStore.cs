using VexFs.Core.Editing;
using VexFs.Vectors.Persistence;

namespace VexFs.Core.Vectors;

/// <summary>
/// The pages of a saved search index: the blocks of a system inode, one page per block. The blocks are
/// allocated in the operation that saves the index and written straight to the device, so that an index of
/// any size is saved without passing through the journal; the operation's commit, which names them, follows
/// the device barrier before every commit record.
/// </summary>
internal sealed class IndexPageStore(FileSystemEditor editor, long inode, int blockSize) : IPageStore
{
    public int PageSize => blockSize;

    public long PageCount => editor.FileBlocks(inode);

    public void Read(long firstPage, Span<byte> destination) => editor.ReadData(inode, firstPage, destination);

    public void Write(long firstPage, ReadOnlySpan<byte> source) => editor.WriteData(inode, firstPage, source);

    public long Allocate(long count)
    {
        long first = PageCount;
        editor.AppendBlocks(inode, count);
        return first;
    }

    public void Flush() => editor.FlushDevice();
}
