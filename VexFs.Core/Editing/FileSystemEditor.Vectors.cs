using VexFs.Format.Records;
using VexFs.Format.VectorArea;

namespace VexFs.Core.Editing;

/// <summary>
/// The vector area on disk: the table of spaces and each space's rows inode (see <see cref="VectorRows"/>),
/// edited through the metadata store, so that a row changes in the same transaction as the file it belongs to.
/// </summary>
internal sealed partial class FileSystemEditor
{
    /// <summary>The table of vector spaces.</summary>
    public (List<VectorSpaceRecord> Spaces, int NextId) ReadVectorTable()
    {
        var block = new byte[_store.BlockSize];
        _store.Read(Superblock.VectorTableBlock, block);
        return VectorSpaceTable.Read(block, Superblock.VectorTableBlock, Superblock.ChecksumSeed, Superblock.InodeCount);
    }

    /// <summary>Writes the table of vector spaces, and the superblock's vector-spaces feature with it.</summary>
    public void WriteVectorTable(IReadOnlyList<VectorSpaceRecord> spaces, int nextId)
    {
        var block = new byte[_store.BlockSize];
        VectorSpaceTable.Write(block, Superblock.VectorTableBlock, spaces, nextId, Superblock.ChecksumSeed);
        _store.Write(Superblock.VectorTableBlock, block);
        _allocator.UpdateSuperblock(sb => sb with
        {
            Incompatible = spaces.Count > 0 ? sb.Incompatible | IncompatibleFeatures.VectorSpaces : sb.Incompatible & ~IncompatibleFeatures.VectorSpaces,
        });
    }

    /// <summary>Creates an empty system inode (a regular file in no directory, its one link held by the vector table).</summary>
    public long CreateSystemInode()
    {
        long number = _allocator.AllocateInode(directory: false, 0);
        _inodes.Write(number, Inode.New(number, UnixModes.Make(UnixFileType.RegularFile, 0), 1, Now) with { Flags = InodeFlags.System });
        return number;
    }

    /// <summary>Frees a system inode and its blocks.</summary>
    public void ReleaseSystemInode(long number) => Release(number, _inodes.Read(number));

    /// <summary>
    /// Writes row <paramref name="row"/> of a space's rows inode: <paramref name="owner"/>'s stored vector, or
    /// a free row when the owner is 0. The rows inode grows, block by block, to hold the row.
    /// </summary>
    public void WriteRow(VectorSpaceRecord space, long row, long owner, ReadOnlySpan<float> vector)
    {
        int blockSize = _store.BlockSize;
        int dimension = space.Definition.Dimension;
        int size = VectorRows.Size(dimension);
        var bytes = new byte[size];
        VectorRows.Write(bytes, space.Id, row, owner, vector, Superblock.ChecksumSeed);
        var (fileBlock, offset) = VectorRows.Locate(row, dimension, blockSize);
        var inode = GrowRows(space.RowsInode, VectorRows.FileBlocks(row + 1, dimension, blockSize));
        var buffer = new byte[blockSize];
        for (int done = 0; done < size; fileBlock++, offset = 0)
        {
            long physical = _extents.Map(inode, space.RowsInode, fileBlock);
            _store.Read(physical, buffer);
            int count = Math.Min(size - done, blockSize - offset);
            bytes.AsSpan(done, count).CopyTo(buffer.AsSpan(offset));
            _store.Write(physical, buffer);
            done += count;
        }
    }

    /// <summary>
    /// Reads every row of a space's rows inode in file order, handing each used row's owner and vector to
    /// <paramref name="row"/> (the span is reused); returns the rows the inode holds, used or free.
    /// </summary>
    public long ReadRows(VectorSpaceRecord space, Action<long, long, ReadOnlySpan<float>> row)
    {
        int blockSize = _store.BlockSize;
        int dimension = space.Definition.Dimension;
        int size = VectorRows.Size(dimension);
        var inode = _inodes.Read(space.RowsInode);
        long fileBlocks = inode.Size / blockSize;
        long rows = VectorRows.RowsIn(fileBlocks, dimension, blockSize);
        int blocksPerChunk = VectorRows.UnitBlocks(dimension, blockSize);
        int rowsPerChunk = VectorRows.RowsPerUnit(dimension, blockSize);
        var chunk = new byte[blocksPerChunk * blockSize];
        var vector = new float[dimension];
        for (long first = 0, r = 0; r < rows; first += blocksPerChunk)
        {
            long physical = _extents.Map(inode, space.RowsInode, first);
            for (int b = 0; b < blocksPerChunk; b++)
            {
                _store.Read(b == 0 ? physical : _extents.Map(inode, space.RowsInode, first + b), chunk.AsSpan(b * blockSize, blockSize));
            }

            for (int i = 0; i < rowsPerChunk && r < rows; i++, r++)
            {
                long owner = VectorRows.Read(chunk.AsSpan(i * size), space.Id, r, vector, Superblock.ChecksumSeed, space.RowsInode, physical);
                if (owner != 0)
                {
                    row(r, owner, vector);
                }
            }
        }

        return rows;
    }

    /// <summary>Extends the rows inode with zeroed blocks up to <paramref name="fileBlocks"/>; returns it.</summary>
    private Inode GrowRows(long number, long fileBlocks)
    {
        var inode = _inodes.Read(number);
        int blockSize = _store.BlockSize;
        long have = inode.Size / blockSize;
        if (have >= fileBlocks)
        {
            return inode;
        }

        var zero = new byte[blockSize];
        long goal = have > 0 ? _extents.Map(inode, number, have - 1) + 1 : HomeGroupStart(number);
        while (have < fileBlocks)
        {
            var (start, length) = _allocator.AllocateBlocks(goal, (int)Math.Min(fileBlocks - have, int.MaxValue));
            for (int i = 0; i < length; i++)
            {
                _store.Write(start + i, zero);
            }

            inode = _extents.Insert(inode, number, new Extent(have, start, length));
            inode = inode with { Blocks = inode.Blocks + length };
            have += length;
            goal = start + length;
        }

        inode = inode with { Size = have * blockSize };
        _inodes.Write(number, inode);
        return inode;
    }
}
