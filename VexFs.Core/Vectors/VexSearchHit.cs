namespace VexFs.Core;

/// <summary>One search result: a file, by a path inside the searched directory and by inode, and its distance.</summary>
/// <param name="Path">A name of the file inside the searched directory.</param>
/// <param name="Inode">The file's inode number.</param>
/// <param name="Distance">Its distance to the query (smaller is nearer).</param>
public sealed record VexSearchHit(string Path, long Inode, float Distance);
