using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>An extent node block (its owner first), sealed, decoded whole and searched for a few file blocks.</summary>
internal static class ExtentNodeTarget
{
    public static void Run(byte[] input)
    {
        var (owner, block) = FuzzInput.WithNumber(input, SampleImage.BlockSize);
        Decode(owner, BlockSeeds.BlockNumber, Sealed(block));
    }

    public static IEnumerable<byte[]> Seeds() => BlockSeeds.Owned(Decode);

    private static byte[] Sealed(byte[] block)
    {
        BlockTail.Seal(block, BlockSeeds.BlockNumber, SampleImage.Seed);
        return block;
    }

    private static void Decode(long owner, long number, byte[] block)
    {
        long blocks = SampleImage.Superblock.BlockCount;
        var node = ExtentNode.ReadBlock(block, number, owner, blocks, SampleImage.Seed);
        foreach (long fileBlock in new[] { 0L, 1, 7, 79, long.MaxValue / 2 })
        {
            ExtentNode.LocateInBlock(block, number, owner, blocks, SampleImage.Seed, fileBlock);
        }

        _ = node.Count;
    }
}
