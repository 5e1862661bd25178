using VexFs.Format.Records;
using VexFs.Format.VectorArea;

namespace VexFs.Fuzz.Targets;

/// <summary>The vector-space table block, sealed and decoded.</summary>
internal static class VectorTableTarget
{
    public static void Run(byte[] input)
    {
        var block = FuzzInput.Fit(input, SampleImage.BlockSize);
        BlockTail.Seal(block, BlockSeeds.BlockNumber, SampleImage.Seed);
        VectorSpaceTable.Read(block, BlockSeeds.BlockNumber, SampleImage.Seed, SampleImage.Superblock.InodeCount);
    }

    public static IEnumerable<byte[]> Seeds()
    {
        var block = new byte[SampleImage.BlockSize];
        SampleImage.Clean.Read(SampleImage.Superblock.VectorTableBlock * SampleImage.BlockSize, block);
        yield return block;
    }
}
