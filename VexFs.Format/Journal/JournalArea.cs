using VexFs.Format.Records;

namespace VexFs.Format.Journal;

/// <summary>Where a filesystem's journal lies and what its records are checked against.</summary>
/// <param name="Start">The journal's first block (its header).</param>
/// <param name="Blocks">The journal's length in blocks, header included.</param>
/// <param name="BlockSize">The filesystem's block size.</param>
/// <param name="Seed">The checksum seed.</param>
/// <param name="Uuid">The filesystem's UUID, which the header carries.</param>
/// <param name="HomeBlockCount">The filesystem's block count: every journaled home block lies below it.</param>
internal readonly record struct JournalArea(long Start, long Blocks, int BlockSize, uint Seed, Guid Uuid, long HomeBlockCount)
{
    /// <summary>The journal that <paramref name="sb"/> describes.</summary>
    public static JournalArea Of(Superblock sb) => new(sb.JournalStart, sb.JournalBlocks, sb.BlockSize, sb.ChecksumSeed, sb.Uuid, sb.BlockCount);

    /// <summary>The byte offset of journal block <paramref name="relative"/> (0 is the header).</summary>
    public long Offset(long relative) => (Start + relative) * BlockSize;
}
