using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>
/// Recovery planning over a fuzzed journal: the input is the journal's blocks in order (the rest zero), the
/// header and every record sealed; the planner must stay inside the journal.
/// </summary>
internal static class RecoveryTarget
{
    public static void Run(byte[] input)
    {
        var sb = SampleImage.Superblock;
        int size = SampleImage.BlockSize;
        var journal = new byte[sb.JournalBlocks][];
        for (int i = 0; i < journal.Length; i++)
        {
            journal[i] = FuzzInput.Fit(i * size < input.Length ? input.AsSpan(i * size) : [], size);
            JournalBlocks.SealRecord(journal[i]);
        }

        BlockTail.Seal(journal[0].AsSpan(0, JournalHeader.Size), sb.JournalStart, SampleImage.Seed);
        var header = JournalHeader.Read(journal[0], sb.JournalStart, SampleImage.Seed, sb.JournalBlocks, sb.Uuid);
        RecoveryPlanner.Plan(header, (relative, buffer) =>
        {
            if (relative < 0 || relative >= journal.Length || buffer.Length != size)
            {
                throw new InvalidOperationException($"The planner read {buffer.Length} bytes at journal block {relative}, outside the {journal.Length}-block journal.");
            }

            journal[relative].CopyTo(buffer);
        }, SampleImage.Seed, sb.BlockCount);
    }

    public static IEnumerable<byte[]> Seeds()
    {
        var blocks = JournalBlocks.Of(SampleImage.SmallNeedsRecovery);
        int used = blocks.FindLastIndex(b => b.AsSpan().ContainsAnyExcept((byte)0)) + 1;
        yield return blocks.Take(used).SelectMany(b => b).ToArray();
    }
}
