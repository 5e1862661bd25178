using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors.Hnsw;

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
internal sealed class VectorCatalog(HnswOptions? indexOptions) : IInodeObserver, IDisposable
{
    private readonly Dictionary<string, SpaceState> _spaces = new(StringComparer.Ordinal);
    private readonly List<Action> _undo = [];
    private readonly List<Action> _onComplete = [];
    private NamespaceIndex? _namespace;
    private int _nextId = 1;

    public IEnumerable<SpaceState> Spaces => _spaces.Values;

    /// <summary>Reads the table and every space's rows, builds the indexes, and walks the namespace when there are spaces.</summary>
    public void Load(FileSystemEditor editor)
    {
        var (records, nextId) = editor.ReadVectorTable();
        _nextId = nextId;
        foreach (var record in records)
        {
            var state = new SpaceState(record, indexOptions ?? HnswOptions.Default);
            _spaces[record.Definition.Name] = state;
            if (record.RowsInode == 0)
            {
                continue;
            }

            var ids = new List<long>();
            var vectors = new List<float[]>();
            state.Rows = editor.ReadRows(record, (row, owner, vector) =>
            {
                if (!state.RowOf.TryAdd(owner, row))
                {
                    throw new InvalidFileSystemException(record.RowsInode, $"vector row {row}", $"inode {owner} already has row {state.RowOf[owner]} in space '{record.Definition.Name}'");
                }

                ids.Add(owner);
                vectors.Add(vector.ToArray());
            });
            for (long row = 0; row < state.Rows; row++)
            {
                state.Free.Add(row);
            }

            state.Free.ExceptWith(state.RowOf.Values);
            if (indexOptions is not null)
            {
                state.Index.AddRange(ids, vectors);
            }
        }

        if (_spaces.Count > 0)
        {
            _namespace = NamespaceIndex.Build(editor);
        }
    }

    public SpaceState Space(string name) =>
        _spaces.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var state)
            ? state
            : throw new ArgumentException($"There is no vector space '{name}'.", nameof(name));

    public bool TryGetSpace(string name, out SpaceState state) => _spaces.TryGetValue(name, out state!);

    public NamespaceIndex Namespace(FileSystemEditor editor) => _namespace ??= NamespaceIndex.Build(editor);

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
        if (state.Record.RowsInode != 0)
        {
            editor.ReleaseSystemInode(state.Record.RowsInode);
        }

        editor.WriteVectorTable(Records().Where(r => r.Definition.Name != name).ToList(), _nextId);
        _spaces.Remove(name);
        _undo.Add(() => _spaces[name] = state);
        _onComplete.Add(state.Dispose);
    }

    /// <summary>Sets <paramref name="owner"/>'s vector (already in stored form) in the space.</summary>
    public void Set(FileSystemEditor editor, SpaceState state, long owner, float[] stored)
    {
        if (state.RowOf.TryGetValue(owner, out long row))
        {
            editor.WriteRow(state.Record, row, owner, stored);
            _onComplete.Add(() =>
            {
                if (state.Index.Contains(owner))
                {
                    state.Index.Update(owner, stored);
                }
                else
                {
                    state.Index.Add(owner, stored);
                }
            });
            return;
        }

        if (state.Record.RowsInode == 0)
        {
            var before = state.Record;
            state.Record = before with { RowsInode = editor.CreateSystemInode() };
            editor.WriteVectorTable(Records().ToList(), _nextId);
            _undo.Add(() => state.Record = before);
        }

        bool append = state.Free.Count == 0;
        row = append ? state.Rows : state.Free.Min;
        editor.WriteRow(state.Record, row, owner, stored);
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
        _onComplete.Add(() => state.Index.Add(owner, stored));
    }

    /// <summary>Removes <paramref name="owner"/>'s vector from the space; false when it had none.</summary>
    public bool Remove(FileSystemEditor editor, SpaceState state, long owner)
    {
        if (!state.RowOf.TryGetValue(owner, out long row))
        {
            return false;
        }

        editor.WriteRow(state.Record, row, 0, new float[state.Record.Definition.Dimension]);
        state.RowOf.Remove(owner);
        state.Free.Add(row);
        _undo.Add(() =>
        {
            state.RowOf[owner] = row;
            state.Free.Remove(row);
        });
        _onComplete.Add(() =>
        {
            if (state.Index.Contains(owner))
            {
                state.Index.Remove(owner);
            }
        });
        return true;
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
        _undo.Clear();
        foreach (var change in indexOptions is null ? [] : _onComplete)
        {
            change();
        }

        _onComplete.Clear();
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
