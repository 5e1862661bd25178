using System.Runtime.CompilerServices;
using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Persistence;

namespace VexFs.Core.Vectors;

/// <summary>
/// The vector spaces of an open filesystem: their rows on disk (the truth, changed in the operation that changes
/// the file) and in memory the row of each owner, the search index and the namespace that scopes searches.
/// </summary>
/// <remarks>
/// An operation changes the maps as it goes and logs how to undo each change; <see cref="Complete"/> keeps them
/// and applies the index changes it deferred, <see cref="Rollback"/> undoes them when the operation fails.
/// Changes run under the filesystem's exclusive lock, searches under its shared lock. Without index options
/// (an offline import) only the rows are kept: no search index is built.
/// </remarks>
internal sealed class VectorCatalog(HnswOptions? indexOptions, VectorResidency residency = VectorResidency.Memory, Func<FileSystemEditor>? currentEditor = null, Action<string, Exception>? savedIndexUnusable = null, int linkThreads = -1)
    : IInodeObserver, IDisposable
{
    private readonly Dictionary<string, SpaceState> _spaces = new(StringComparer.Ordinal);
    private readonly List<Action> _undo = [];
    private readonly List<IndexChange> _onComplete = [];
    /// <summary>New vectors in a row, from which an operation's index changes link them on several threads.</summary>
    private const int ParallelLinkCount = 64;
    /// <summary>Rows from which loading the indexes takes long enough (tens of milliseconds) to do something else meanwhile.</summary>
    public const long LargeRowCount = 16_384;

    private readonly Lock _walking = new();
    private NamespaceIndex? _namespace;
    private int _nextId = 1;

    public IEnumerable<SpaceState> Spaces => _spaces.Values;

    /// <summary>Counts the operations that changed the spaces or the namespace: a search scope kept from an older one is stale.</summary>
    public long Version { get; private set; }

    /// <summary>
    /// Reads the table and each space's index: the saved one, caught up from the rows marked as changed since it
    /// was saved, or, when none is saved (or it cannot be used), one built from every row. When the indexes to load
    /// hold <see cref="LargeRowCount"/> rows or more, <paramref name="largeLoad"/> is called first (the filesystem
    /// walks the namespace meanwhile).
    /// </summary>
    public void Load(FileSystemEditor editor, Action? largeLoad = null)
    {
        var (records, nextId) = editor.ReadVectorTable();
        _nextId = nextId;
        if (indexOptions is not null && records.Sum(editor.RowCount) >= LargeRowCount)
        {
            largeLoad?.Invoke();
        }

        // Saved indexes are trusted only under their feature: a writer that does not know it changes rows unmarked.
        bool trusted = editor.Superblock.ReadOnlyCompatible.HasFlag(ReadOnlyCompatibleFeatures.SavedVectorIndex);
        foreach (var record in records)
        {
            var state = new SpaceState(record, indexOptions ?? HnswOptions.Default);
            _spaces[record.Definition.Name] = state;
            if (record.RowsInode == 0)
            {
                continue;
            }

            state.Rows = editor.RowCount(record);
            if (indexOptions is null || record.IndexInode == 0 || !trusted || !LoadSaved(editor, state))
            {
                Build(editor, state);
            }

            Settle(state);

            var used = new System.Collections.BitArray(checked((int)state.Rows));
            foreach (long row in state.RowOf.Values)
            {
                used[(int)row] = true;
            }

            for (int row = 0; row < used.Length; row++)
            {
                if (!used[row])
                {
                    state.Free.Add(row);
                }
            }
        }
    }

    /// <summary>Reads every row, and builds the index from them (when there is to be one).</summary>
    private void Build(FileSystemEditor editor, SpaceState state)
    {
        var record = state.Record;
        var keys = new List<long>();
        var vectors = new List<float[]>();
        editor.ReadRows(record, (row, owner, vector) =>
        {
            if (!state.RowOf.TryAdd(owner, row))
            {
                throw new InvalidFileSystemException(record.RowsInode, $"vector row {row}", $"inode {owner} already has row {state.RowOf[owner]} in space '{record.Definition.Name}'");
            }

            keys.Add(VectorKey.Of(row, owner));
            vectors.Add(vector.ToArray());
        });
        if (indexOptions is not null)
        {
            if (residency == VectorResidency.Device && vectors.Count >= indexOptions.QuantizationTrainingSize)
            {
                // Built at once in the form it settles in (see Settle), not built twice.
                state.Index.Dispose();
                state.Index = DeviceIndex(state, vectors);
            }

            state.Index.AddRange(keys, vectors, linkThreads);
        }

        state.Unsaved = state.RowOf.Count;
    }

    /// <summary>
    /// Loads the saved index and catches it up: each row marked as changed since the save is read, its old
    /// vector (if any) leaves the index and its new one (if any) joins. False, with nothing changed, when the
    /// saved index or the marks are damaged or disagree with the space: the index is then built from the rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool LoadSaved(FileSystemEditor editor, SpaceState state)
    {
        var record = state.Record;
        HnswIndex index;
        SortedSet<long> changed;
        try
        {
            index = LoadIndex(new IndexPageStore(editor, record.IndexInode, editor.Superblock.BlockSize), state);
            changed = record.ChangesInode == 0 ? [] : editor.ReadChangedRows(record.ChangesInode, state.Rows);
        }
        catch (Exception e) when (e is CorruptIndexException or InvalidFileSystemException)
        {
            savedIndexUnusable?.Invoke(record.Definition.Name, e);
            return false;
        }
        catch (ArgumentException)
        {
            // Saved without its floats, which this open keeps in memory: it builds from the rows, as it should.
            return false;
        }

        // The space's map of owners to rows is filled as the keys are checked (an owner or a row twice is damage)
        // and emptied again when the saved index cannot be used; it is sized at once (a million entries grown by
        // doubling rehash twenty times and touch twice the memory). The owners of rows marked as changed are kept
        // apart: the catch-up below takes their vectors out.
        var rowOf = state.RowOf;
        rowOf.EnsureCapacity(index.Count);
        var rowTaken = new System.Collections.BitArray(checked((int)state.Rows));
        var ownerAt = new Dictionary<long, long>();
        bool consistent = index.Space.Dimension == record.Definition.Dimension && index.Space.Metric == record.Definition.Metric;
        foreach (long key in consistent ? index.GetIds() : [])
        {
            long row = VectorKey.Row(key), owner = VectorKey.Owner(key);
            if (row >= state.Rows || owner == 0 || rowTaken[(int)row] || !rowOf.TryAdd(owner, row))
            {
                consistent = false;
                break;
            }

            rowTaken[(int)row] = true;
            if (changed.Count > 0 && changed.Contains(row))
            {
                ownerAt[row] = owner;
            }
        }

        if (!consistent)
        {
            rowOf.Clear();
            index.Dispose();
            return false;
        }

        var vector = new float[record.Definition.Dimension];
        var joining = new List<(long Row, long Owner, float[] Vector)>();
        try
        {
            foreach (long row in changed)
            {
                if (ownerAt.Remove(row, out long old))
                {
                    rowOf.Remove(old);
                    index.Remove(VectorKey.Of(row, old));
                }

                long owner = editor.ReadRow(record, row, vector);
                if (owner != 0)
                {
                    joining.Add((row, owner, vector.ToArray()));
                }
            }
        }
        catch
        {
            rowOf.Clear();
            index.Dispose();
            throw;
        }

        // A vector joining for an owner that the index holds at a row not marked as changed: the index is wrong.
        if (joining.Any(j => !rowOf.TryAdd(j.Owner, j.Row)))
        {
            rowOf.Clear();
            index.Dispose();
            return false;
        }

        foreach (var (row, owner, stored) in joining)
        {
            index.Add(VectorKey.Of(row, owner), stored);
        }

        state.Index.Dispose();
        state.Index = index;
        state.IndexLoaded = true;
        state.Unsaved = changed.Count;
        return true;
    }

    /// <summary>
    /// A saved index as this open keeps it: with the floats left on the device, one that reads them from the rows
    /// when it is walked with codes (a small space's index, walked with floats, keeps them).
    /// </summary>
    private HnswIndex LoadIndex(IndexPageStore store, SpaceState state)
    {
        if (residency != VectorResidency.Device)
        {
            return HnswIndex.Load(store);
        }

        try
        {
            return HnswIndex.Load(store, Rows(state));
        }
        catch (ArgumentException)
        {
            return HnswIndex.Load(store);
        }
    }

    /// <summary>The reader of a space's rows, for an index that leaves the floats on the device.</summary>
    private RowsReader Rows(SpaceState state) =>
        new(currentEditor ?? throw new InvalidOperationException("The catalog reads no rows of its own."), state, () => Version);

    /// <summary>An empty index that leaves the floats in the rows, its codes fitted to the first of <paramref name="vectors"/>.</summary>
    private HnswIndex DeviceIndex(SpaceState state, IEnumerable<float[]> vectors) =>
        new(state.Space, indexOptions, Rows(state), vectors.Take(indexOptions!.QuantizationTrainingSize));

    /// <summary>
    /// With the floats left on the device: once a space's index holds enough vectors to fit codes to, it is
    /// built again as one that keeps the codes and the graph only and reads floats from the rows.
    /// </summary>
    private void Settle(SpaceState state)
    {
        if (indexOptions is null || residency != VectorResidency.Device || state.Index.OwnerKeepsVectors
            || state.Index.Count < indexOptions.QuantizationTrainingSize)
        {
            return;
        }

        var keys = state.Index.GetIds();
        var vectors = keys.Select(state.Index.GetVector).ToArray();
        var index = DeviceIndex(state, vectors);
        // On one thread, so that the graph is the same every time (a space settles once, at about the training size).
        index.AddRange(keys, vectors, 1);
        state.Index.Dispose();
        state.Index = index;
    }

    /// <summary>
    /// Saves the index of every space that changed since its last save (with <paramref name="all"/>), or of those
    /// whose unsaved changes are worth a save (otherwise: a sixteenth of the vectors, or no saved index at all),
    /// each as a new system inode whose pages go straight to the device; the operation's one transaction then
    /// names the new inodes in the table and frees the old ones with their marks of changed rows. A power cut
    /// before that commit leaves the previous save and its marks in force. An index with many removed vectors is
    /// compacted first, so that what is saved holds only live ones.
    /// </summary>
    public void SaveIndexes(FileSystemEditor editor, bool all)
    {
        bool saved = false;
        foreach (var state in _spaces.Values.Where(s => indexOptions is not null && s.Record.RowsInode != 0 && (all ? s.NeedsSave : s.WorthSaving)))
        {
            var before = state.Record;
            long unsaved = state.Unsaved;
            if (state.Index.DeletedCount > state.Index.Count / 8)
            {
                state.Index.Compact();
            }

            long inode = editor.CreateSystemInode();
            state.Index.Save(new IndexPageStore(editor, inode, editor.Superblock.BlockSize));
            foreach (long old in new[] { before.IndexInode, before.ChangesInode }.Where(editor.IsSystemInode))
            {
                editor.ReleaseSystemInode(old);
            }

            state.Record = before with { IndexInode = inode, ChangesInode = 0, IndexGeneration = before.IndexGeneration + 1 };
            state.Unsaved = 0;
            _undo.Add(() =>
            {
                state.Record = before;
                state.Unsaved = unsaved;
            });
            saved = true;
        }

        if (saved)
        {
            editor.WriteVectorTable(Records().ToList(), _nextId);
        }
    }

    public SpaceState Space(string name) =>
        _spaces.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var state)
            ? state
            : throw new ArgumentException($"There is no vector space '{name}'.", nameof(name));

    public bool TryGetSpace(string name, out SpaceState state) => _spaces.TryGetValue(name, out state!);

    /// <summary>
    /// The namespace, walked once on first need: by the open, a search or an operation (a search that needs it
    /// while another walks it waits for that walk; under the shared lock no change can come between).
    /// </summary>
    public NamespaceIndex Namespace(FileSystemEditor editor)
    {
        if (Volatile.Read(ref _namespace) is { } built)
        {
            return built;
        }

        lock (_walking)
        {
            return _namespace ??= NamespaceIndex.Build(editor);
        }
    }

    public void CreateSpace(FileSystemEditor editor, VectorSpaceDefinition definition)
    {
        if (definition.Problem() is { } problem)
        {
            throw new ArgumentException($"Invalid vector space: {problem}.", nameof(definition));
        }

        if (_spaces.ContainsKey(definition.Name))
        {
            throw new VexFsException(VexErrorKind.AlreadyExists, $"The vector space '{definition.Name}' already exists.");
        }

        var record = new VectorSpaceRecord(_nextId, definition);
        var records = Records().Append(record).ToList();
        editor.WriteVectorTable(records, _nextId + 1);
        Namespace(editor);
        var state = new SpaceState(record, indexOptions ?? HnswOptions.Default);
        _spaces[definition.Name] = state;
        _nextId++;
        _undo.Add(() =>
        {
            _spaces.Remove(definition.Name);
            _nextId--;
            state.Dispose();
        });
    }

    public void DropSpace(FileSystemEditor editor, string name)
    {
        var state = Space(name);
        foreach (long inode in new[] { state.Record.RowsInode, state.Record.IndexInode, state.Record.ChangesInode }.Where(n => n != 0 && editor.IsSystemInode(n)))
        {
            editor.ReleaseSystemInode(inode);
        }

        editor.WriteVectorTable(Records().Where(r => r.Definition.Name != name).ToList(), _nextId);
        _spaces.Remove(name);
        _undo.Add(() => _spaces[name] = state);
        _onComplete.Add(new(state.Dispose));
    }

    /// <summary>Sets <paramref name="owner"/>'s vector (already in stored form) in the space.</summary>
    public void Set(FileSystemEditor editor, SpaceState state, long owner, float[] stored)
    {
        if (owner > VectorKey.MaxOwner)
        {
            throw new NotSupportedException($"Inode {owner} is above {VectorKey.MaxOwner}, the largest inode number that can carry a vector.");
        }

        if (state.RowOf.TryGetValue(owner, out long row))
        {
            editor.WriteRow(state.Record, row, owner, stored);
            MarkChanged(editor, state, row);
            long key = VectorKey.Of(row, owner);
            _onComplete.Add(new(() =>
            {
                if (state.Index.Contains(key))
                {
                    state.Index.Update(key, stored);
                }
                else
                {
                    state.Index.Add(key, stored);
                }
            }));
            return;
        }

        if (state.Record.RowsInode == 0)
        {
            ChangeRecord(editor, state, r => r with { RowsInode = editor.CreateSystemInode() });
        }

        bool append = state.Free.Count == 0;
        row = append ? state.Rows : state.Free.Min;
        if (row >= VectorKey.MaxRows)
        {
            throw new VexFsException(VexErrorKind.NoSpace, $"The vector space '{state.Record.Definition.Name}' holds {VectorKey.MaxRows} vectors, the most a space can.");
        }

        editor.WriteRow(state.Record, row, owner, stored);
        MarkChanged(editor, state, row);
        state.RowOf[owner] = row;
        if (append)
        {
            state.Rows++;
        }
        else
        {
            state.Free.Remove(row);
        }

        _undo.Add(() =>
        {
            state.RowOf.Remove(owner);
            if (append)
            {
                state.Rows--;
            }
            else
            {
                state.Free.Add(row);
            }
        });
        _onComplete.Add(new(state, VectorKey.Of(row, owner), stored));
    }

    /// <summary>Removes <paramref name="owner"/>'s vector from the space; false when it had none.</summary>
    public bool Remove(FileSystemEditor editor, SpaceState state, long owner)
    {
        if (!state.RowOf.TryGetValue(owner, out long row))
        {
            return false;
        }

        editor.WriteRow(state.Record, row, 0, new float[state.Record.Definition.Dimension]);
        MarkChanged(editor, state, row);
        state.RowOf.Remove(owner);
        state.Free.Add(row);
        _undo.Add(() =>
        {
            state.RowOf[owner] = row;
            state.Free.Remove(row);
        });
        long key = VectorKey.Of(row, owner);
        _onComplete.Add(new(() =>
        {
            if (state.Index.Contains(key))
            {
                state.Index.Remove(key);
            }
        }));
        return true;
    }

    /// <summary>Counts a written row as unsaved and, when the index is saved, marks it for the next open to catch up.</summary>
    private void MarkChanged(FileSystemEditor editor, SpaceState state, long row)
    {
        state.Unsaved++;
        _undo.Add(() => state.Unsaved--);
        if (state.Record.IndexInode == 0)
        {
            return;
        }

        if (state.Record.ChangesInode == 0)
        {
            ChangeRecord(editor, state, r => r with { ChangesInode = editor.CreateSystemInode() });
        }

        editor.MarkRowChanged(state.Record.ChangesInode, row);
    }

    /// <summary>Changes a space's table entry, writes the table, and logs how to undo it.</summary>
    private void ChangeRecord(FileSystemEditor editor, SpaceState state, Func<VectorSpaceRecord, VectorSpaceRecord> change)
    {
        var before = state.Record;
        state.Record = change(before);
        editor.WriteVectorTable(Records().ToList(), _nextId);
        _undo.Add(() => state.Record = before);
    }

    public void Linked(long directory, string name, long inode, UnixFileType type)
    {
        if (_namespace is { } ns)
        {
            ns.Add(directory, name, inode);
            _undo.Add(() => ns.Remove(directory, name, inode));
        }
    }

    public void Unlinked(long directory, string name, long inode)
    {
        if (_namespace is { } ns)
        {
            ns.Remove(directory, name, inode);
            _undo.Add(() => ns.Add(directory, name, inode));
        }
    }

    public void Released(long inode, FileSystemEditor editor)
    {
        foreach (var state in _spaces.Values)
        {
            Remove(editor, state, inode);
        }
    }

    /// <summary>Keeps what the operation changed and applies its index changes.</summary>
    public void Complete()
    {
        if (_undo.Count > 0 || _onComplete.Count > 0)
        {
            Version++;
        }

        _undo.Clear();
        if (indexOptions is not null)
        {
            ApplyIndexChanges();
        }

        if (_onComplete.Count > 0)
        {
            foreach (var state in _spaces.Values)
            {
                Settle(state);
            }
        }

        _onComplete.Clear();
    }

    /// <summary>
    /// Applies the operation's index changes in order, each run of new vectors of one space as one
    /// <see cref="HnswIndex.AddRange"/>: a bulk load's batch is linked on several threads.
    /// </summary>
    private void ApplyIndexChanges()
    {
        var keys = new List<long>();
        var vectors = new List<float[]>();
        for (int i = 0; i < _onComplete.Count;)
        {
            var change = _onComplete[i++];
            if (change.Other is { } other)
            {
                other();
                continue;
            }

            var state = change.State!;
            keys.Clear();
            vectors.Clear();
            keys.Add(change.Key);
            vectors.Add(change.Vector!);
            while (i < _onComplete.Count && _onComplete[i].State == state)
            {
                keys.Add(_onComplete[i].Key);
                vectors.Add(_onComplete[i++].Vector!);
            }

            state.Index.AddRange(keys, vectors, keys.Count >= ParallelLinkCount ? linkThreads : 1);
        }
    }

    /// <summary>Undoes what a failed operation changed.</summary>
    public void Rollback()
    {
        for (int i = _undo.Count - 1; i >= 0; i--)
        {
            _undo[i]();
        }

        _undo.Clear();
        _onComplete.Clear();
        Version++;
    }

    public void Dispose()
    {
        foreach (var state in _spaces.Values)
        {
            state.Dispose();
        }
    }

    private IEnumerable<VectorSpaceRecord> Records() => _spaces.Values.Select(s => s.Record).OrderBy(r => r.Id);
}
