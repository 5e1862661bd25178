using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>A directory hash-index block (its owner first), sealed, decoded as a root and as an inner node.</summary>
internal static class DirectoryIndexTarget
{
    private const long FileBlocks = 64;

    public static void Run(byte[] input)
    {
        var (owner, block) = FuzzInput.WithNumber(input, SampleImage.BlockSize);
        BlockTail.Seal(block, BlockSeeds.BlockNumber, SampleImage.Seed);
        Decode(owner, BlockSeeds.BlockNumber, block);
    }

    public static IEnumerable<byte[]> Seeds() => BlockSeeds.Owned(Decode);

    private static void Decode(long owner, long number, byte[] block)
    {
        bool root = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(block) == DirectoryIndex.RootMagic;
        DirectoryIndex.Read(block, number, root, owner, SampleImage.Seed, FileBlocks, SampleImage.Superblock.InodeCount);
    }
}
