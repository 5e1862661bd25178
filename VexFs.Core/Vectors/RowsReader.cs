using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Core.Vectors;

/// <summary>
/// Reads a vector of a space from its row on the device (through the block cache), for an index that leaves
/// the floats there: the index key names the row and the owner the row must hold.
/// </summary>
internal sealed class RowsReader(Func<FileSystemEditor> editor, SpaceState state) : IVectorReader
{
    public void Read(long id, Span<float> destination)
    {
        long row = VectorKey.Row(id), owner = VectorKey.Owner(id);
        var record = state.Record;
        long held = editor().ReadRow(record, row, destination);
        if (held != owner)
        {
            throw new InvalidFileSystemException(record.RowsInode, $"vector row {row}", $"holds inode {held}'s vector where the index has inode {owner}'s");
        }
    }
}
