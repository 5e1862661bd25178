using System.Diagnostics;
using VexFs.Core.Diagnostics;
using VexFs.Core.Editing;
using VexFs.Core.Vectors;
using VexFs.Format;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors;
using VexFs.Vectors.Flat;

namespace VexFs.Core;

/// <summary>
/// Vectors on files: named spaces (a dimension and a metric each), at most one vector per file in each, stored
/// with the file (set, replaced and removed atomically with it, gone with its last link, shared by its hard
/// links) and searched by similarity within a directory or its whole subtree.
/// </summary>
public sealed partial class VexFileSystem
{
    /// <summary>The prefix of the extended attributes that carry a file's vectors: <c>user.vexfs.SPACE</c>, little-endian float32.</summary>
    public const string VectorXattrPrefix = "user.vexfs.";

    /// <summary>The vector spaces, by name.</summary>
    public IReadOnlyList<VectorSpaceInfo> GetVectorSpaces() => Query(_ =>
        (IReadOnlyList<VectorSpaceInfo>)[.. _vectors.Spaces.Select(Info).OrderBy(s => s.Name, StringComparer.Ordinal)]);

    /// <summary>Creates a vector space.</summary>
    /// <exception cref="ArgumentException">The name, dimension (1 to 4096) or metric is invalid, or the table of spaces (one block) is full.</exception>
    /// <exception cref="VexFsException">A space of that name exists (<see cref="VexErrorKind.AlreadyExists"/>).</exception>
    public VectorSpaceInfo CreateVectorSpace(string name, int dimension, VectorMetric metric)
    {
        ArgumentNullException.ThrowIfNull(name);
        var definition = new VectorSpaceDefinition(name, dimension, metric);
        if (definition.Problem() is { } problem)
        {
            throw new ArgumentException($"Invalid vector space: {problem}.", nameof(name));
        }

        return Mutate(editor =>
        {
            _vectors.CreateSpace(editor, definition);
            return Info(_vectors.Space(name));
        });
    }

    /// <summary>Drops a vector space and every vector in it.</summary>
    /// <exception cref="ArgumentException">There is no such space.</exception>
    public void DropVectorSpace(string name) => Mutate(editor => _vectors.DropSpace(editor, name));

    /// <summary>Sets the vector of the file at <paramref name="path"/> in <paramref name="space"/>, replacing any.</summary>
    /// <exception cref="ArgumentException">Unknown space; a wrong dimension, a NaN or infinite component, or a zero vector under cosine.</exception>
    public void SetVector(string path, string space, ReadOnlySpan<float> vector)
    {
        var stored = Stored(space, vector);
        Mutate(editor => SetVector(editor, Resolve(editor, path), space, stored));
    }

    /// <inheritdoc cref="SetVector(string, string, ReadOnlySpan{float})"/>
    public void SetVector(long inode, string space, ReadOnlySpan<float> vector)
    {
        var stored = Stored(space, vector);
        Mutate(editor => SetVector(editor, inode, space, stored));
    }

    /// <summary>
    /// Sets many vectors, <paramref name="batchSize"/> files to an operation (each batch atomic; fewer when the
    /// rows of that many would not fit one journal transaction), reporting the files done after each batch: the
    /// bulk load.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="SetVector(string, string, ReadOnlySpan{float})"/>; the batches before the bad vector stay.</exception>
    public void SetVectors(string space, IEnumerable<(string Path, float[] Vector)> vectors, IProgress<long>? progress = null, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(space);
        batchSize = Math.Min(batchSize, Query(editor => RowsPerOperation(editor, _vectors.Space(space).Space.Dimension)));
        long done = 0;
        foreach (var batch in vectors.Chunk(batchSize))
        {
            var stored = batch.Select(v => (v.Path, Stored(space, v.Vector))).ToArray();
            Mutate(editor =>
            {
                foreach (var (path, vector) in stored)
                {
                    SetVector(editor, Resolve(editor, path), space, vector);
                }
            });
            done += batch.Length;
            progress?.Report(done);
        }

        if (done >= SaveAfterBulkLoad)
        {
            SaveVectorIndexes();
        }
    }

    /// <summary>
    /// How many rows of <paramref name="dimension"/> components one operation may write: their blocks fill at
    /// most half of a journal transaction, each unit of rows counted with one block more for what else setting
    /// a row touches (its mark of change, an extent block of the rows inode).
    /// </summary>
    private int RowsPerOperation(FileSystemEditor editor, int dimension)
    {
        int blockSize = editor.Superblock.BlockSize;
        long units = Math.Max(1, (_journal?.MaxTransactionBlocks ?? int.MaxValue) / 2 / (VectorRows.UnitBlocks(dimension, blockSize) + 1));
        return (int)Math.Min(int.MaxValue, units * VectorRows.RowsPerUnit(dimension, blockSize));
    }

    /// <summary>
    /// Saves the search index of every space whose vectors changed since its last save, and commits: the next
    /// open loads it and reads only the rows written after it, instead of building the index from every row.
    /// A clean close (<see cref="Dispose"/>) saves too, and so does a <see cref="SetVectors"/> of at least
    /// <see cref="SaveAfterBulkLoad"/> vectors. The index's pages go to free blocks, straight to the device, and
    /// one small transaction then puts the new index in place of the old: a power cut at any point leaves one
    /// of them in force. Returns false, saving nothing, when the filesystem lacks the free blocks for a copy
    /// (the index is then built from the rows at the next open).
    /// </summary>
    /// <exception cref="NotSupportedException">The filesystem is read-only (opened so, or latched after a device error).</exception>
    public bool SaveVectorIndexes()
    {
        bool saved;
        using (Exclusive())
        {
            if (_journal is null || _failure is not null)
            {
                throw new NotSupportedException("The filesystem is read-only.").With(VexErrorKind.ReadOnly);
            }

            saved = SaveVectorIndexesLocked(all: true);
        }

        Flush();
        return saved;
    }

    /// <summary>The size of a <see cref="SetVectors"/> bulk load after which the indexes are saved.</summary>
    public const int SaveAfterBulkLoad = 10_000;

    /// <summary>
    /// Saves the indexes that changed (with <paramref name="all"/>; otherwise those worth it, see
    /// <see cref="SpaceState.WorthSaving"/>), as one operation; false when there was not the room. Needs the
    /// exclusive lock.
    /// </summary>
    private bool SaveVectorIndexesLocked(bool all)
    {
        if (!_vectors.Spaces.Any(s => all ? s.NeedsSave : s.WorthSaving))
        {
            return true;
        }

        try
        {
            RunOperation(editor =>
            {
                _vectors.SaveIndexes(editor, all);
                return 0;
            });
            return true;
        }
        catch (VexFsException e) when (e.Kind == VexErrorKind.NoSpace)
        {
            return false;
        }
        catch (FileSystemFullException)
        {
            return false;
        }
    }

    /// <summary>The vector of the file at <paramref name="path"/> in <paramref name="space"/>, in stored form (unit length under cosine); null when it has none.</summary>
    /// <exception cref="ArgumentException">There is no such space.</exception>
    public float[]? GetVector(string path, string space) => Query(editor => GetVector(editor, Resolve(editor, path), space));

    /// <inheritdoc cref="GetVector(string, string)"/>
    public float[]? GetVector(long inode, string space) => Query(editor => GetVector(editor, inode, space));

    /// <summary>Removes the vector of the file at <paramref name="path"/> from <paramref name="space"/>; false when it had none.</summary>
    /// <exception cref="ArgumentException">There is no such space.</exception>
    public bool RemoveVector(string path, string space) => Mutate(editor => RemoveVector(editor, Resolve(editor, path), space));

    /// <inheritdoc cref="RemoveVector(string, string)"/>
    public bool RemoveVector(long inode, string space) => Mutate(editor => RemoveVector(editor, inode, space));

    /// <summary>
    /// The (at most) <paramref name="k"/> files in <paramref name="directory"/> (and, by default, anywhere below
    /// it) whose vectors in <paramref name="space"/> are nearest to <paramref name="query"/>, nearest first. A
    /// file outside the directory, deleted, or whose vector was removed is never among them; a directory with
    /// fewer than k vectors gives what it has.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown space; an invalid query (see <see cref="SetVector(string, string, ReadOnlySpan{float})"/>); <paramref name="k"/> not positive.</exception>
    public IReadOnlyList<VexSearchHit> Search(string directory, string space, ReadOnlySpan<float> query, int k, VexSearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return Search(editor => Resolve(editor, directory), space, query, k, options);
    }

    /// <summary>As <see cref="Search(string, string, ReadOnlySpan{float}, int, VexSearchOptions?)"/>, with the directory by its inode number.</summary>
    /// <exception cref="ArgumentException">As there.</exception>
    public IReadOnlyList<VexSearchHit> Search(long directory, string space, ReadOnlySpan<float> query, int k, VexSearchOptions? options = null) =>
        Search(_ => directory, space, query, k, options);

    private IReadOnlyList<VexSearchHit> Search(Func<FileSystemEditor, long> directory, string space, ReadOnlySpan<float> query, int k, VexSearchOptions? options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        options ??= VexSearchOptions.Default;
        if (options.Effort is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Effort, "The effort is at least 1.");
        }

        ArgumentNullException.ThrowIfNull(space);
        var copy = query.ToArray();
        long started = _metrics.SearchDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        var hits = Query(editor =>
        {
            // The query is checked first, under the same shared lock as the search.
            var state = _vectors.Space(space);
            var stored = state.Space.ToStored(copy, nameof(query));
            long top = directory(editor);
            RequireDirectory(editor, top);
            var names = _vectors.Namespace(editor);
            var where = options.Where;
            int effort = options.Effort ?? state.Index.EfSearch;
            _metrics.SearchEffort.Record(options.Exact ? k : Math.Max(k, effort), new KeyValuePair<string, object?>(FileSystemMetrics.SpaceTag, space));
            VectorFilter filter;
            if (top == editor.RootInode && options.Subtree)
            {
                if (where is null && !options.Exact)
                {
                    // Every vector is in scope but those of open files whose last name went (rare): search
                    // unfiltered for a few more than k and drop them, unless that leaves too few.
                    int ef = Math.Max(k + UnlinkedMargin, effort);
                    var linked = state.Index.Search(stored, k + UnlinkedMargin, ef).Where(m => names.IsLinked(VectorKey.Owner(m.Id))).Take(k).ToList();
                    if (linked.Count == k || linked.Count == state.RowOf.Count(r => names.IsLinked(r.Key)))
                    {
                        return Hits(linked, names, top, options.Subtree);
                    }
                }

                filter = VectorFilter.Where(where is null
                    ? key => names.IsLinked(VectorKey.Owner(key))
                    : key => names.IsLinked(VectorKey.Owner(key)) && where(VectorKey.Owner(key)));
            }
            else
            {
                var scope = state.Scopes.Get(top, options.Subtree, _vectors.Version, () => BuildScope(state, names, top, options.Subtree));
                if (scope.Count == 0)
                {
                    return (IReadOnlyList<VexSearchHit>)[];
                }

                if (scope.Dense is { } dense)
                {
                    // A small scope is compared with the query vector by vector: exact, whatever the effort.
                    var found = dense.Search(stored, k, where is null ? null : VectorFilter.Where(where));
                    return Hits(found, names, top, options.Subtree, owners: true);
                }

                var keys = scope.Keys!;
                filter = where is null ? keys : VectorFilter.Where(key => keys.Admits(key) && where(VectorKey.Owner(key)));
                if (ExactIsCheaper(scope.Count, state, Math.Max(k, effort)))
                {
                    return Hits(state.Index.SearchExact(stored, k, filter), names, top, options.Subtree);
                }
            }

            var matches = options.Exact
                ? state.Index.SearchExact(stored, k, filter)
                : state.Index.Search(stored, k, Math.Max(k, effort), filter);
            return Hits(matches, names, top, options.Subtree);
        });
        if (started != 0)
        {
            _metrics.SearchDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(FileSystemMetrics.SpaceTag, space),
                new KeyValuePair<string, object?>(FileSystemMetrics.SearchModeTag, options.Exact ? "exact" : "approximate"));
        }

        return hits;
    }

    /// <summary>
    /// The files of <paramref name="directory"/> (and below it, with <paramref name="subtree"/>) that carry a
    /// vector in the space: their keys, and for a scope small enough, a dense exact index of their vectors.
    /// </summary>
    private ScopeCache.Scope BuildScope(SpaceState state, NamespaceIndex names, long directory, bool subtree)
    {
        var owners = new HashSet<long>();
        names.CollectUnder(directory, subtree, state.RowOf.ContainsKey, owners);
        if (owners.Count > state.Scopes.DenseLimit)
        {
            return new ScopeCache.Scope(_vectors.Version, owners.Count, VectorFilter.In(owners.Select(state.Key)), null);
        }

        var keys = owners.ToArray();
        var dense = new FlatIndex(state.Space);
        dense.AddRange(keys, [.. keys.Select(owner => state.Index.GetVector(state.Key(owner)))]);

        return new ScopeCache.Scope(_vectors.Version, owners.Count, null, dense);
    }

    /// <summary>
    /// Whether comparing a scope of <paramref name="count"/> vectors one by one costs less than a walk of the
    /// whole graph that admits only them. A walk that gathers <paramref name="ef"/> candidates from a scope
    /// holding a share s of the space expands about ef / s nodes and measures each node's 2M neighbors:
    /// ef x 2M x N / count distances against count, so the comparison wins while count^2 &lt;= ef x 2M x N (at
    /// M = 16 and ef = 64 in a space of 1M vectors: up to 45,000). It must also stream the scope's vectors
    /// from memory, which past <see cref="ExactScopeBytes"/> the walk's few hundred distances beat whatever
    /// the count: 10,000 vectors of 960 dimensions (38 MB) compared one by one ran at 141 QPS, walked at 3,195.
    /// </summary>
    private static bool ExactIsCheaper(long count, SpaceState state, int ef) =>
        count * state.Space.Dimension * sizeof(float) <= ExactScopeBytes
        && (double)count * count <= (double)ef * 2 * state.Index.Options.M * state.RowOf.Count;

    /// <summary>
    /// The most vector bytes a scope compared one by one with the index's own vectors may hold (a scope this large
    /// has more vectors than a dense copy takes, so it has no byte codes to screen them with).
    /// </summary>
    private const long ExactScopeBytes = 32L << 20;

    /// <summary>How many more than k an unfiltered whole-tree search asks for, to drop open files whose last name went.</summary>
    private const int UnlinkedMargin = 8;

    /// <summary>
    /// Results from matches of index keys (whose owner is the file), or with <paramref name="owners"/> of the files'
    /// inode numbers, each named by its path in the scope (or its first path).
    /// </summary>
    private static VexSearchHit[] Hits(IReadOnlyList<VectorMatch> matches, NamespaceIndex names, long top, bool subtree, bool owners = false)
    {
        var hits = new VexSearchHit[matches.Count];
        (long, string?) last = default;
        for (var i = 0; i < hits.Length; i++)
        {
            var owner = owners ? matches[i].Id : VectorKey.Owner(matches[i].Id);
            hits[i] = new(names.PathOf(owner, top, subtree, ref last) ?? string.Empty, owner, matches[i].Distance);
        }

        return hits;
    }

    private static VectorSpaceInfo Info(SpaceState state) =>
        new(state.Record.Definition.Name, state.Record.Definition.Dimension, state.Record.Definition.Metric, state.RowOf.Count, state.Record.IndexGeneration, state.Unsaved, state.IndexLoaded,
            state.Index.OwnerKeepsVectors, state.Index.MemoryBytes);

    /// <summary>Checks a vector against the space (outside any lock) and returns its stored form.</summary>
    private float[] Stored(string space, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(space);
        var copy = vector.ToArray();
        var shape = Query(_ => _vectors.Space(space).Space);
        return shape.ToStored(copy, nameof(vector));
    }

    private void SetVector(FileSystemEditor editor, long inode, string space, float[] stored)
    {
        RequireVectorOwner(editor, inode);
        _vectors.Set(editor, _vectors.Space(space), inode, stored);
    }

    private float[]? GetVector(FileSystemEditor editor, long inode, string space)
    {
        Describe(editor, inode);
        var state = _vectors.Space(space);
        return state.RowOf.ContainsKey(inode) && state.Index.Contains(state.Key(inode)) ? state.Index.GetVector(state.Key(inode)) : null;
    }

    private bool RemoveVector(FileSystemEditor editor, long inode, string space)
    {
        Describe(editor, inode);
        return _vectors.Remove(editor, _vectors.Space(space), inode);
    }

    /// <summary>Vectors belong to regular files: a directory is refused as is-a-directory, the rest as the wrong kind.</summary>
    private static void RequireVectorOwner(FileSystemEditor editor, long inode)
    {
        var type = Describe(editor, inode).Type;
        if (type != UnixFileType.RegularFile || editor.ReadInode(inode).Flags.HasFlag(InodeFlags.System))
        {
            throw new VexFsException(type == UnixFileType.Directory ? VexErrorKind.IsADirectory : VexErrorKind.InvalidKind, $"Inode {inode} is a {type}: only regular files carry vectors.");
        }
    }
}
