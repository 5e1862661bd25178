using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Core.Vectors;

/// <summary>
/// Reads a vector of a space from its row on the device (through the block cache), for an index that leaves
/// the floats there: the index key names the row and the owner the row must hold.
/// </summary>
/// <remarks>
/// Reads run under the filesystem's shared lock, so nothing changes the rows meanwhile. The rows inode is read
/// once per catalog version (every completed change to the vectors makes a new one), not once per row: a
/// search reads tens of rows.
/// </remarks>
internal sealed class RowsReader(Func<FileSystemEditor> editor, SpaceState state, Func<long> version) : IVectorReader
{
    private RowsInode? _rows;

    public void Read(long id, Span<float> destination)
    {
        long row = VectorKey.Row(id), owner = VectorKey.Owner(id);
        var record = state.Record;
        var current = editor();
        var rows = Volatile.Read(ref _rows);
        long now = version();
        if (rows is null || rows.Version != now || rows.Number != record.RowsInode)
        {
            rows = new RowsInode(now, record.RowsInode, current.ReadInode(record.RowsInode));
            Volatile.Write(ref _rows, rows);
        }

        long held = current.ReadRow(record, rows.Inode, row, destination);
        if (held != owner)
        {
            throw new InvalidFileSystemException(record.RowsInode, $"vector row {row}", $"holds inode {held}'s vector where the index has inode {owner}'s");
        }
    }

    /// <summary>The rows inode as read at a catalog version.</summary>
    private sealed record RowsInode(long Version, long Number, Inode Inode);
}
