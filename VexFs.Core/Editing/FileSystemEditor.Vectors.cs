using System.Buffers;
using VexFs.Format;
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

    /// <summary>Writes the table of vector spaces, and the superblock's vector-spaces and saved-index features with it.</summary>
    public void WriteVectorTable(IReadOnlyList<VectorSpaceRecord> spaces, int nextId)
    {
        var block = new byte[_store.BlockSize];
        VectorSpaceTable.Write(block, Superblock.VectorTableBlock, spaces, nextId, Superblock.ChecksumSeed);
        _store.Write(Superblock.VectorTableBlock, block);
        bool saved = spaces.Any(s => s.IndexInode != 0 || s.ChangesInode != 0);
        _allocator.UpdateSuperblock(sb => sb with
        {
            Incompatible = spaces.Count > 0 ? sb.Incompatible | IncompatibleFeatures.VectorSpaces : sb.Incompatible & ~IncompatibleFeatures.VectorSpaces,
            ReadOnlyCompatible = saved ? sb.ReadOnlyCompatible | ReadOnlyCompatibleFeatures.SavedVectorIndex : sb.ReadOnlyCompatible & ~ReadOnlyCompatibleFeatures.SavedVectorIndex,
        });
    }

    /// <summary>
    /// Whether inode <paramref name="number"/> is a system inode in use whose extent tree reads: one that
    /// <see cref="ReleaseSystemInode"/> can free. A reference to anything else is dropped without freeing it
    /// (fsck clears what no space names).
    /// </summary>
    public bool IsSystemInode(long number)
    {
        if (number < 1 || number > Superblock.InodeCount)
        {
            return false;
        }

        try
        {
            var inode = _inodes.Read(number);
            if (inode.IsFree || !inode.Flags.HasFlag(InodeFlags.System))
            {
                return false;
            }

            _extents.All(inode, number);
            return true;
        }
        catch (InvalidFileSystemException)
        {
            return false;
        }
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
            long physical = ReadUnit(inode, space.RowsInode, first, chunk);
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

    /// <summary>The rows a space's rows inode holds, used or free: those of its whole blocks up to its last mapped one.</summary>
    public long RowCount(VectorSpaceRecord space) =>
        space.RowsInode == 0 ? 0 : Math.Min(VectorRows.RowsIn(FileBlocks(space.RowsInode), space.Definition.Dimension, _store.BlockSize), int.MaxValue);

    /// <summary>Reads row <paramref name="row"/> of a space into <paramref name="vector"/>; returns its owner, 0 for a free row.</summary>
    public long ReadRow(VectorSpaceRecord space, long row, Span<float> vector) => ReadRow(space, _inodes.Read(space.RowsInode), row, vector);

    /// <summary>As <see cref="ReadRow(VectorSpaceRecord, long, Span{float})"/>, with the rows inode as read before (it must be current).</summary>
    public long ReadRow(VectorSpaceRecord space, Inode rows, long row, Span<float> vector)
    {
        int blockSize = _store.BlockSize;
        int dimension = space.Definition.Dimension;
        var (fileBlock, offset) = VectorRows.Locate(row, dimension, blockSize);
        int bytes = VectorRows.UnitBlocks(dimension, blockSize) * blockSize;
        var unit = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            long first = ReadUnit(rows, space.RowsInode, fileBlock, unit.AsSpan(0, bytes));
            return VectorRows.Read(unit.AsSpan(offset), space.Id, row, vector, Superblock.ChecksumSeed, space.RowsInode, first);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(unit);
        }
    }

    /// <summary>Reads the blocks of a unit of rows (see <see cref="VectorRows.UnitBlocks"/>) from file block <paramref name="first"/>; returns the device block of its first.</summary>
    private long ReadUnit(Inode inode, long number, long first, Span<byte> unit)
    {
        int blockSize = _store.BlockSize;
        long physical = _extents.Map(inode, number, first);
        for (int b = 0; b < unit.Length / blockSize; b++)
        {
            _store.Read(b == 0 ? physical : _extents.Map(inode, number, first + b), unit.Slice(b * blockSize, blockSize));
        }

        return physical;
    }

    /// <summary>Marks row <paramref name="row"/> as written since the index was saved, in the changes inode <paramref name="number"/>.</summary>
    public void MarkRowChanged(long number, long row)
    {
        int blockSize = _store.BlockSize;
        var (fileBlock, _, _) = VectorChanges.Locate(row, blockSize);
        var inode = Grow(number, fileBlock + 1, (start, length) =>
        {
            var empty = new byte[blockSize];
            for (long b = start; b < start + length; b++)
            {
                VectorChanges.WriteEmpty(empty, b, Superblock.ChecksumSeed);
                _store.Write(b, empty);
            }
        });
        long physical = _extents.Map(inode, number, fileBlock);
        var block = new byte[blockSize];
        _store.Read(physical, block);
        VectorChanges.Verify(block, physical, Superblock.ChecksumSeed);
        VectorChanges.Mark(block, physical, row, Superblock.ChecksumSeed);
        _store.Write(physical, block);
    }

    /// <summary>The rows that the changes inode <paramref name="number"/> marks.</summary>
    /// <exception cref="InvalidFileSystemException">A block's checksum is wrong, or it marks a row at or past <paramref name="rows"/>.</exception>
    public SortedSet<long> ReadChangedRows(long number, long rows)
    {
        int blockSize = _store.BlockSize;
        var inode = _inodes.Read(number);
        var changed = new SortedSet<long>();
        var block = new byte[blockSize];
        for (long fileBlock = 0; fileBlock < inode.Size / blockSize; fileBlock++)
        {
            long physical = _extents.Map(inode, number, fileBlock);
            _store.Read(physical, block);
            VectorChanges.Verify(block, physical, Superblock.ChecksumSeed);
            Corruption.Check(VectorChanges.Collect(block, fileBlock, rows, changed), physical, "vector changes", $"marks a row at or past the {rows} rows of its space");
        }

        return changed;
    }

    /// <summary>The whole blocks a system inode holds, up to its last mapped one (a size past it, from damage, does not count).</summary>
    public long FileBlocks(long number)
    {
        var inode = _inodes.Read(number);
        long mapped = _extents.All(inode, number).Select(e => e.LogicalEnd).DefaultIfEmpty(0).Max();
        return Math.Min(inode.Size / _store.BlockSize, mapped);
    }

    /// <summary>Appends <paramref name="count"/> blocks to a system inode, allocated but not written (their contents go straight to the device).</summary>
    public void AppendBlocks(long number, long count) => Grow(number, FileBlocks(number) + count, (_, _) => { });

    /// <summary>Reads whole blocks of a system inode's data straight from the device, from file block <paramref name="fileBlock"/>.</summary>
    public void ReadData(long number, long fileBlock, Span<byte> buffer)
    {
        foreach (var (physical, at, bytes) in Runs(number, fileBlock, buffer.Length))
        {
            _data.ReadBlocks(physical, buffer.Slice(at, bytes));
        }
    }

    /// <summary>Writes whole blocks of a system inode's data straight to the device (not through the journal), from file block <paramref name="fileBlock"/>.</summary>
    public void WriteData(long number, long fileBlock, ReadOnlySpan<byte> buffer)
    {
        foreach (var (physical, at, bytes) in Runs(number, fileBlock, buffer.Length))
        {
            _data.WriteBlocks(physical, buffer.Slice(at, bytes));
        }
    }

    /// <summary>Makes every write to the device durable.</summary>
    public void FlushDevice() => _device?.Flush();

    /// <summary>The runs of contiguous device blocks that <paramref name="length"/> bytes from file block <paramref name="fileBlock"/> map to: device block, offset in the bytes, bytes.</summary>
    private List<(long Physical, int At, int Bytes)> Runs(long number, long fileBlock, int length)
    {
        int blockSize = _store.BlockSize;
        if (length % blockSize != 0)
        {
            throw new ArgumentException($"{length} bytes are not whole blocks.", nameof(length));
        }

        var inode = _inodes.Read(number);
        var runs = new List<(long, int, int)>();
        for (int done = 0; done < length;)
        {
            long at = fileBlock + (done / blockSize);
            var extent = _extents.Require(inode, number, at);
            int blocks = (int)Math.Min(extent.LogicalEnd - at, (length - done) / blockSize);
            runs.Add((extent.Physical + (at - extent.Logical), done, blocks * blockSize));
            done += blocks * blockSize;
        }

        return runs;
    }

    /// <summary>Extends the rows inode with zeroed blocks up to <paramref name="fileBlocks"/>; returns it.</summary>
    private Inode GrowRows(long number, long fileBlocks)
    {
        var zero = new byte[_store.BlockSize];
        return Grow(number, fileBlocks, (start, length) =>
        {
            for (long b = start; b < start + length; b++)
            {
                _store.Write(b, zero);
            }
        });
    }

    /// <summary>Extends a system inode up to <paramref name="fileBlocks"/> blocks, handing each new run to <paramref name="fill"/>; returns it.</summary>
    private Inode Grow(long number, long fileBlocks, Action<long, int> fill)
    {
        var inode = _inodes.Read(number);
        int blockSize = _store.BlockSize;
        long have = inode.Size / blockSize;
        if (have >= fileBlocks)
        {
            return inode;
        }

        long goal = have > 0 ? _extents.Map(inode, number, have - 1) + 1 : HomeGroupStart(number);
        while (have < fileBlocks)
        {
            var (start, length) = _allocator.AllocateBlocks(goal, (int)Math.Min(fileBlocks - have, int.MaxValue));
            fill(start, length);
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
