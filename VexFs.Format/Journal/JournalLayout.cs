namespace VexFs.Format.Journal;

/// <summary>Sizes of the internal journal.</summary>
internal static class JournalLayout
{
    /// <summary>The smallest journal: a header and room for a few transactions.</summary>
    public const long MinBlocks = 64;

    /// <summary>
    /// The journal mkfs chooses by default, in blocks, like mke2fs: about 1/64 of the filesystem, from
    /// <see cref="MinBlocks"/> up to what fits one group.
    /// </summary>
    public static long DefaultBlocks(long blockCount, int blockSize, long maxBlocks)
    {
        long bytes = blockCount * blockSize;
        long wanted = bytes switch
        {
            < 128L << 20 => 1L << 20,
            < 1L << 30 => 4L << 20,
            < 16L << 30 => 32L << 20,
            < 256L << 30 => 128L << 20,
            _ => 1L << 30,
        };
        return Math.Clamp(wanted / blockSize, MinBlocks, Math.Max(MinBlocks, maxBlocks));
    }
}
