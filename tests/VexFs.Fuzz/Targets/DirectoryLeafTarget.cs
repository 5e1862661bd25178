using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>A directory leaf block (its owner first), sealed, decoded with every name's hash checked.</summary>
internal static class DirectoryLeafTarget
{
    public static void Run(byte[] input)
    {
        var (owner, block) = FuzzInput.WithNumber(input, SampleImage.BlockSize);
        BlockTail.Seal(block, BlockSeeds.BlockNumber, SampleImage.Seed);
        Decode(owner, BlockSeeds.BlockNumber, block);
    }

    public static IEnumerable<byte[]> Seeds() => BlockSeeds.Owned(Decode);

    private static void Decode(long owner, long number, byte[] block)
    {
        var sb = SampleImage.Superblock;
        DirectoryLeaf.Read(block, number, owner, SampleImage.Seed, sb.HashSeed, sb.InodeCount);
        DirectoryLeaf.Read(block, number, owner, SampleImage.Seed, sb.HashSeed, sb.InodeCount, fromHash: ulong.MaxValue / 3, checkHashes: false);
    }
}
