namespace VexFs.Format.Directories;

/// <summary>What an in-place edit of a directory leaf did.</summary>
internal enum LeafEdit
{
    /// <summary>The leaf was changed and resealed.</summary>
    Done,

    /// <summary>The name is in the leaf already; the leaf is unchanged.</summary>
    Exists,

    /// <summary>The entry does not fit; the leaf is unchanged and must split.</summary>
    Full,
}
