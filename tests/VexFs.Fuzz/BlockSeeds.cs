using VexFs.BlockDevices;
using VexFs.Format;

namespace VexFs.Fuzz;

/// <summary>
/// Cuts single records out of the sample images: every non-zero block that a decoder accepts, with the inode
/// that owns it, found by trying each block against each inode number.
/// </summary>
internal static class BlockSeeds
{
    /// <summary>The input block the record targets decode at (their checksums are sealed for it).</summary>
    public const long BlockNumber = 100;

    public static IEnumerable<(long Block, byte[] Bytes)> NonZeroBlocks()
    {
        foreach (BlockDevice image in new[] { SampleImage.Clean, SampleImage.NeedsRecovery })
        {
            for (long b = 0; b < image.Length / SampleImage.BlockSize; b++)
            {
                var block = new byte[SampleImage.BlockSize];
                image.Read(b * SampleImage.BlockSize, block);
                if (block.AsSpan().ContainsAnyExcept((byte)0))
                {
                    yield return (b, block);
                }
            }
        }
    }

    /// <summary>Each block <paramref name="decodes"/> accepts for some owner, prefixed with that owner; duplicates once.</summary>
    public static IEnumerable<byte[]> Owned(Action<long, long, byte[]> decodes)
    {
        var seen = new HashSet<string>();
        foreach (var (number, block) in NonZeroBlocks())
        {
            for (long owner = 1; owner <= SampleImage.Superblock.InodeCount; owner++)
            {
                try
                {
                    decodes(owner, number, block);
                }
                catch (InvalidFileSystemException)
                {
                    continue;
                }

                var input = FuzzInput.Prefix(owner, block);
                if (seen.Add(Convert.ToHexString(input)))
                {
                    yield return input;
                }

                break;
            }
        }
    }
}
