namespace VexFs.Format.VectorArea;

/// <summary>
/// The id a vector has in its space's search index, saved index included: its row and its owner's inode number,
/// so that a saved index tells an open (and fsck) which row each file's vector is in without reading the rows.
/// </summary>
/// <remarks>Bits 32 to 62 hold the row, bits 0 to 31 the inode number.</remarks>
internal static class VectorKey
{
    /// <summary>The largest inode number that can carry a vector.</summary>
    public const long MaxOwner = uint.MaxValue;

    /// <summary>The most rows a space holds.</summary>
    public const long MaxRows = int.MaxValue;

    public static long Of(long row, long owner) => (row << 32) | owner;

    public static long Owner(long key) => key & uint.MaxValue;

    public static long Row(long key) => key >>> 32;
}
