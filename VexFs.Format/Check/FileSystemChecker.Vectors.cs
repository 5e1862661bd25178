using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors.Persistence;

namespace VexFs.Format.Check;

/// <summary>
/// The vector area. The table of spaces and the system inodes it names are checked after pass 1, so that the
/// passes after it know which inodes the table holds; the spaces' rows after pass 4, so that each row's owner
/// is judged against the inodes the other passes leave in use.
/// </summary>
public sealed partial class FileSystemChecker
{
    private List<VectorSpaceRecord> _spaces = [];
    private List<string> _savedIndexSpaces = [];
    private int _nextSpaceId;

    /// <summary>
    /// The table, and the system inodes: every system inode must be one a space names (as its rows or index
    /// inode), and every inode a space names a system inode in use. A reference to anything else is set to 0;
    /// a system inode that no space names is cleared.
    /// </summary>
    private void CheckVectorTable()
    {
        var block = ReadBlock(_sb.VectorTableBlock);
        int nextId;
        bool rewrite = false;
        try
        {
            (_spaces, nextId) = VectorSpaceTable.Read(block, _sb.VectorTableBlock, _sb.ChecksumSeed, _sb.InodeCount);
        }
        catch (InvalidFileSystemException e)
        {
            (_spaces, nextId) = VectorSpaceTable.Salvage(block, _sb.VectorTableBlock, _sb.InodeCount);
            Found("vectors", $"{e.Message}; table rewritten with the {_spaces.Count} spaces that could be salvaged", Repair);
            rewrite = true;
        }

        _savedIndexSpaces = [.. _spaces.Where(s => s.IndexInode != 0).Select(s => s.Definition.Name)];

        bool declared = _sb.Incompatible.HasFlag(IncompatibleFeatures.VectorSpaces);
        if (_spaces.Count > 0 != declared)
        {
            if (!rewrite)
            {
                Found("vectors", $"the vector table holds {_spaces.Count} spaces but the superblock {(declared ? "declares" : "does not declare")} the vector-spaces feature", Repair);
            }

            _sb = Repair ? _sb with { Incompatible = _sb.Incompatible ^ IncompatibleFeatures.VectorSpaces } : _sb;
            _report.Modified |= Repair;
        }

        // A saved index is trusted only under its feature: a writer that does not know it changes rows unmarked.
        bool savedDeclared = _sb.ReadOnlyCompatible.HasFlag(ReadOnlyCompatibleFeatures.SavedVectorIndex);
        if (!savedDeclared)
        {
            for (int i = 0; i < _spaces.Count; i++)
            {
                if (_spaces[i].IndexInode != 0 || _spaces[i].ChangesInode != 0)
                {
                    Found("vectors", $"space '{_spaces[i].Definition.Name}' names a saved index, but the superblock does not declare the saved-index feature; index dropped (the next open builds it again from the rows)", Repair);
                    _spaces[i] = _spaces[i] with { IndexInode = 0, ChangesInode = 0 };
                    rewrite = true;
                }
            }
        }

        var named = new HashSet<long>();
        for (int i = 0; i < _spaces.Count; i++)
        {
            var space = _spaces[i];
            _spaces[i] = space with
            {
                RowsInode = NamedSystemInode(space, space.RowsInode, "rows", "the space loses its vectors", named),
                IndexInode = NamedSystemInode(space, space.IndexInode, "index", "the index is built again from the rows", named),
                ChangesInode = NamedSystemInode(space, space.ChangesInode, "changes", "the index is built again from the rows", named),
            };
            rewrite |= _spaces[i] != space;
        }

        foreach (var info in _inodes.Values.Where(i => i.Inode.Flags.HasFlag(InodeFlags.System) && !named.Contains(i.Number)).OrderBy(i => i.Number).ToList())
        {
            Found("vectors", $"inode {info.Number} is a system inode that no vector space names; inode cleared", Repair);
            if (Repair)
            {
                ClearInode(info.Number);
            }
        }

        _nextSpaceId = nextId;
        if (rewrite && Repair)
        {
            WriteVectorTable();
        }

        if (savedDeclared && !HasSavedIndex())
        {
            Found("vectors", "the superblock declares the saved-index feature, but no vector space has a saved index; feature cleared", Repair);
            DeclareSavedIndexes();
        }
    }

    /// <summary>Reports the spaces that came into the check with a saved index and leave a repair without one.</summary>
    private void NoteDroppedIndexes()
    {
        if (Repair)
        {
            _report.DroppedIndexes = [.. _spaces.Where(s => s.IndexInode == 0 && _savedIndexSpaces.Contains(s.Definition.Name)).Select(s => s.Definition.Name)];
        }
    }

    private bool HasSavedIndex() => _spaces.Any(s => s.IndexInode != 0 || s.ChangesInode != 0);

    /// <summary>Makes the superblock's saved-index feature say whether a space has a saved index.</summary>
    private void DeclareSavedIndexes()
    {
        if (Repair)
        {
            var feature = ReadOnlyCompatibleFeatures.SavedVectorIndex;
            _sb = _sb with { ReadOnlyCompatible = HasSavedIndex() ? _sb.ReadOnlyCompatible | feature : _sb.ReadOnlyCompatible & ~feature };
            _report.Modified = true;
        }
    }

    private void WriteVectorTable()
    {
        var block = new byte[_sb.BlockSize];
        VectorSpaceTable.Write(block, _sb.VectorTableBlock, _spaces, _nextSpaceId, _sb.ChecksumSeed);
        WriteBlock(_sb.VectorTableBlock, block);
    }

    /// <summary>Returns <paramref name="number"/> when it is a system inode in use that nothing else names, or 0 (a finding) when it is not.</summary>
    private long NamedSystemInode(VectorSpaceRecord space, long number, string role, string consequence, HashSet<long> named)
    {
        string? problem = number == 0 ? null
            : !_inodes.TryGetValue(number, out var info) ? "which is not in use"
            : !info.Inode.Flags.HasFlag(InodeFlags.System) ? $"a {info.Type} that is not a system inode"
            : !named.Add(number) ? "which the table names twice"
            : null;
        if (problem is null)
        {
            return number;
        }

        Found("vectors", $"space '{space.Definition.Name}' names inode {number} as its {role} inode, {problem}; reference set to 0 ({consequence})", Repair);
        return 0;
    }

    private void CheckVectorRows()
    {
        var released = _released.Select(i => i.Number).ToHashSet();
        for (int i = 0; i < _spaces.Count; i++)
        {
            var space = _spaces[i];
            bool hasRows = _inodes.TryGetValue(space.RowsInode, out var rowsInode) && rowsInode.Inode.Flags.HasFlag(InodeFlags.System);
            long rows = hasRows ? VectorRows.RowsIn(MappedBlocks(rowsInode!), space.Definition.Dimension, _sb.BlockSize) : 0;
            using var saved = space.IndexInode != 0 || space.ChangesInode != 0 ? LoadSavedIndex(space, rows) : null;
            var (used, bad, recovered) = hasRows ? CheckRows(space, rowsInode!, saved, released) : (0, false, false);
            _report.Vectors += used;
            if (saved is not null)
            {
                JudgeSavedIndex(i, saved, bad, recovered);
            }
        }
    }

    /// <summary>
    /// Checks every row of one space, freeing (zeroing) each bad one, and each good one against the saved index;
    /// returns the rows in use, whether a row was bad, and whether a row was freed as recovery (its owner an
    /// orphan this run released). Only blocks the rows inode maps are read: a hole, or an unwritten extent,
    /// reads as free rows.
    /// </summary>
    private (long Used, bool Bad, bool Recovered) CheckRows(VectorSpaceRecord space, InodeInfo rowsInode, SavedIndexCheck? saved, HashSet<long> released)
    {
        bool bad = false, recovered = false;
        int dimension = space.Definition.Dimension;
        int blockSize = _sb.BlockSize;
        long fileBlocks = VectorRows.FileBlocks(VectorRows.RowsIn(rowsInode.Inode.Size / blockSize, dimension, blockSize), dimension, blockSize);
        if (fileBlocks * blockSize != rowsInode.Inode.Size)
        {
            Found("vectors", $"space '{space.Definition.Name}': rows inode {rowsInode.Number} is {rowsInode.Inode.Size} bytes, not whole blocks of rows; size rounded down to {fileBlocks * blockSize}", Repair);
            if (Repair)
            {
                rowsInode.Inode = rowsInode.Inode with { Size = fileBlocks * blockSize };
                WriteInode(rowsInode.Number, rowsInode.Inode);
            }
        }

        int unitBlocks = VectorRows.UnitBlocks(dimension, blockSize);
        int rowsPerUnit = VectorRows.RowsPerUnit(dimension, blockSize);
        var extents = rowsInode.Extents.Where(e => !e.Unwritten).OrderBy(e => e.Logical).ToArray();
        var unit = new byte[unitBlocks * blockSize];
        var physical = new long[unitBlocks];
        var vector = new float[dimension];
        var owners = new Dictionary<long, long>();
        long used = 0;
        foreach (long u in MappedUnits(extents, fileBlocks, unitBlocks))
        {
            Array.Clear(unit);
            for (int i = 0; i < unitBlocks; i++)
            {
                physical[i] = Map(extents, (u * unitBlocks) + i);
                if (physical[i] >= 0)
                {
                    _device.Read(physical[i] * blockSize, unit.AsSpan(i * blockSize, blockSize));
                }
            }

            long firstBlock = Array.Find(physical, p => p >= 0);
            bool freed = false;
            for (long row = u * rowsPerUnit; row < (u + 1) * rowsPerUnit; row++)
            {
                var (fileBlock, offset) = VectorRows.Locate(row, dimension, blockSize);
                var bytes = unit.AsSpan((int)((fileBlock - (u * unitBlocks)) * blockSize) + offset, VectorRows.Size(dimension));
                var (owner, problem) = CheckRow(space, rowsInode.Number, row, bytes, firstBlock, vector, owners);
                if (problem is null)
                {
                    if (owner != 0)
                    {
                        owners.Add(owner, row);
                        saved?.Verify(row, owner, vector);
                        used++;
                    }

                    continue;
                }

                if (released.Contains(owner))
                {
                    // The vector of a file deleted while open, released with it: recovery, as an open does.
                    recovered = true;
                }
                else
                {
                    Found("vectors", $"space '{space.Definition.Name}': {problem}; row freed", Repair);
                    bad = true;
                }

                bytes.Clear();
                freed = true;
            }

            if (freed && Repair)
            {
                WriteUnit(unit, physical);
            }
        }

        return (used, bad, recovered);
    }

    /// <summary>Loads a space's saved index and the rows its changes inode marks, for the rows pass to verify against.</summary>
    private SavedIndexCheck LoadSavedIndex(VectorSpaceRecord space, long rows)
    {
        if (space.IndexInode == 0)
        {
            return new SavedIndexCheck($"is missing, though changes inode {space.ChangesInode} marks rows changed since it was saved");
        }

        try
        {
            var saved = _inodes[space.IndexInode];
            var index = SavedIndexCheck.Load(new ExtentPageStore(_device, saved.Extents, MappedBlocks(saved), _sb.BlockSize));
            var check = new SavedIndexCheck(index, space.ChangesInode == 0 ? [] : ChangedRows(_inodes[space.ChangesInode], rows), rows);
            if (index.Space.Dimension != space.Definition.Dimension || index.Space.Metric != space.Definition.Metric)
            {
                check.Problem = $"has dimension {index.Space.Dimension} and metric {index.Space.Metric}, not the space's {space.Definition.Dimension} and {space.Definition.Metric}";
            }

            return check;
        }
        catch (Exception e) when (e is CorruptIndexException or InvalidFileSystemException)
        {
            return new SavedIndexCheck($"is damaged ({e.Message})");
        }
    }

    /// <summary>
    /// Keeps a space's saved index when the rows agree with it, or drops it (and its marks): the next open then
    /// builds the index from the rows. Rows this run freed as damage drop it with a finding; rows freed as
    /// recovery drop it as recovery.
    /// </summary>
    private void JudgeSavedIndex(int i, SavedIndexCheck saved, bool rowsBad, bool recovered)
    {
        var space = _spaces[i];
        string? problem = rowsBad ? "was saved from rows that this check frees" : saved.Problem ?? saved.MissingRow();
        if (problem is null && !recovered)
        {
            _report.SavedIndexes++;
            return;
        }

        if (problem is not null)
        {
            Found("vectors", $"space '{space.Definition.Name}': the saved index {problem}; index dropped (the next open builds it again from the rows)", Repair);
        }

        if (Repair)
        {
            foreach (long inode in new[] { space.IndexInode, space.ChangesInode }.Where(n => n != 0))
            {
                // Counted as released, so that the bitmaps pass takes its blocks and inode as freed here.
                _released.Add(_inodes[inode]);
                ClearInode(inode);
            }

            _spaces[i] = space with { IndexInode = 0, ChangesInode = 0 };
            WriteVectorTable();
            DeclareSavedIndexes();
        }
    }

    /// <summary>The blocks of an inode up to its last mapped one, and not past its size.</summary>
    private long MappedBlocks(InodeInfo info) =>
        Math.Min(info.Inode.Size / _sb.BlockSize, info.Extents.Select(e => e.LogicalEnd).DefaultIfEmpty(0).Max());

    /// <summary>The rows a changes inode marks.</summary>
    /// <exception cref="InvalidFileSystemException">A block's checksum is wrong, or it marks a row past the space's rows.</exception>
    private HashSet<long> ChangedRows(InodeInfo changes, long rows)
    {
        var extents = changes.Extents.Where(e => !e.Unwritten).OrderBy(e => e.Logical).ToArray();
        var block = new byte[_sb.BlockSize];
        var changed = new HashSet<long>();
        for (long fileBlock = 0; fileBlock < changes.Inode.Size / _sb.BlockSize; fileBlock++)
        {
            long physical = Map(extents, fileBlock);
            Corruption.Check(physical >= 0, changes.Number, "vector changes", $"file block {fileBlock} is not mapped");
            _device.Read(physical * _sb.BlockSize, block);
            VectorChanges.Verify(block, physical, _sb.ChecksumSeed);
            Corruption.Check(VectorChanges.Collect(block, fileBlock, rows, changed), physical, "vector changes", $"marks a row past the {rows} rows of its space");
        }

        return changed;
    }

    /// <summary>Writes back the blocks of a unit that are mapped; its holes stay holes, reading as zeros.</summary>
    private void WriteUnit(byte[] unit, long[] physical)
    {
        for (int i = 0; i < physical.Length; i++)
        {
            if (physical[i] >= 0)
            {
                WriteBlock(physical[i], unit.AsSpan(i * _sb.BlockSize, _sb.BlockSize));
            }
        }
    }

    /// <summary>Reads one row and judges its owner: returns the owner (0 for a free row) and what is wrong with the row, or null.</summary>
    private (long Owner, string? Problem) CheckRow(VectorSpaceRecord space, long rowsInode, long row, ReadOnlySpan<byte> bytes, long block, Span<float> vector, Dictionary<long, long> owners)
    {
        long owner;
        try
        {
            owner = VectorRows.Read(bytes, space.Id, row, vector, _sb.ChecksumSeed, rowsInode, block);
        }
        catch (InvalidFileSystemException e)
        {
            return (0, e.Message);
        }

        string? problem = owner == 0 ? null
            : !_inodes.TryGetValue(owner, out var file) ? "is not in use"
            : file.Inode.Flags.HasFlag(InodeFlags.System) ? "is a system inode"
            : file.Type != UnixFileType.RegularFile ? $"is a {file.Type}, not a regular file"
            : owners.TryGetValue(owner, out long first) ? $"has a vector in row {first} already"
            : null;
        return (owner, problem is null ? null : $"vector row {row} of inode {rowsInode}: owner inode {owner} {problem}");
    }

    /// <summary>
    /// The units (of <paramref name="unitBlocks"/> file blocks) below <paramref name="fileBlocks"/> that hold a
    /// block the sorted <paramref name="extents"/> map, in order and each once: as many as the blocks mapped.
    /// </summary>
    private static IEnumerable<long> MappedUnits(Extent[] extents, long fileBlocks, int unitBlocks)
    {
        long next = 0;
        foreach (var extent in extents)
        {
            long end = Math.Min(extent.LogicalEnd, fileBlocks);
            for (long u = Math.Max(extent.Logical / unitBlocks, next); u * unitBlocks < end; u++)
            {
                yield return u;
                next = u + 1;
            }
        }
    }

    /// <summary>The device block that the sorted <paramref name="extents"/> map file block <paramref name="fileBlock"/> to, or -1 for a hole.</summary>
    private static long Map(Extent[] extents, long fileBlock)
    {
        int lo = 0;
        int hi = extents.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (extents[mid].Logical <= fileBlock)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return hi >= 0 && fileBlock < extents[hi].LogicalEnd ? extents[hi].Physical + (fileBlock - extents[hi].Logical) : -1;
    }
}
