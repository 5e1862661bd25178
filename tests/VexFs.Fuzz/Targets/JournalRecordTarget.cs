using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>One journal block, sealed and decoded as a record (for its own sequence) when it has the record magic, else as the journal header.</summary>
internal static class JournalRecordTarget
{
    public static void Run(byte[] input)
    {
        var block = FuzzInput.Fit(input, SampleImage.BlockSize);
        var sb = SampleImage.Superblock;
        if (JournalRecord.LooksLikeRecord(block))
        {
            JournalBlocks.SealRecord(block);
            JournalRecord.TryRead(block, SampleImage.Seed, sb.BlockCount, out _);
            return;
        }

        BlockTail.Seal(block.AsSpan(0, JournalHeader.Size), sb.JournalStart, SampleImage.Seed);
        JournalHeader.Read(block, sb.JournalStart, SampleImage.Seed, sb.JournalBlocks, sb.Uuid);
    }

    public static IEnumerable<byte[]> Seeds() => JournalBlocks.Of(SampleImage.NeedsRecovery).Where((b, i) => i == 0 || JournalRecord.LooksLikeRecord(b));
}
