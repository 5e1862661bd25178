namespace VexFs.Core;

/// <summary>How <see cref="VexFileSystem.Search(string, string, ReadOnlySpan{float}, int, VexSearchOptions?)"/> searches.</summary>
public sealed record VexSearchOptions
{
    /// <summary>The default: the whole subtree, the index's own effort, approximate.</summary>
    public static VexSearchOptions Default { get; } = new();

    /// <summary>Whether files anywhere below the directory count (the default), or only those it names itself.</summary>
    public bool Subtree { get; init; } = true;

    /// <summary>The candidate list of the graph search (HNSW's ef), at least k; null for the index's default.</summary>
    public int? Effort { get; init; }

    /// <summary>Compares the query with every vector in scope (brute force): exact, for verification.</summary>
    public bool Exact { get; init; }

    /// <summary>Admits only the files (by inode number) it returns true for.</summary>
    public Func<long, bool>? Where { get; init; }
}
