using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>An attribute block (its owner first), sealed and decoded, and its bytes as a bare entry list.</summary>
internal static class XattrTarget
{
    public static void Run(byte[] input)
    {
        var (owner, block) = FuzzInput.WithNumber(input, SampleImage.BlockSize);
        try
        {
            XattrEntries.Read(block.AsSpan(XattrBlock.HeaderSize), BlockSeeds.BlockNumber, "entries");
        }
        catch (Format.InvalidFileSystemException)
        {
            // Refused as an entry list; the block's own decoding below still runs.
        }

        BlockTail.Seal(block, BlockSeeds.BlockNumber, SampleImage.Seed);
        XattrBlock.Read(block, BlockSeeds.BlockNumber, owner, SampleImage.Seed);
    }

    public static IEnumerable<byte[]> Seeds() =>
        BlockSeeds.Owned((owner, number, block) => XattrBlock.Read(block, number, owner, SampleImage.Seed));
}
