using System.Buffers.Binary;
using VexFs.Format.Checksums;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>An inode (its number first), checksum made to match, then its extent root and inline attributes.</summary>
internal static class InodeTarget
{
    public static void Run(byte[] input)
    {
        int size = SampleImage.Superblock.InodeSize;
        var (number, record) = FuzzInput.WithNumber(input, size);
        int checksumOffset = size - sizeof(uint);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(checksumOffset), Crc32C.ComputeMetadata(SampleImage.Seed, (ulong)number, record, checksumOffset));
        var inode = Inode.ReadFrom(record, number, size, SampleImage.Seed, 10);
        if (inode.HasExtentTree)
        {
            ExtentNode.ReadRoot(inode.Root, number, SampleImage.Superblock.BlockCount, 10);
        }

        XattrEntries.Read(inode.InlineXattrs, 10, $"inode {number}.inline_xattrs");
    }

    public static IEnumerable<byte[]> Seeds()
    {
        int size = SampleImage.Superblock.InodeSize;
        var seen = new HashSet<long>();
        foreach (var (block, bytes) in BlockSeeds.NonZeroBlocks())
        {
            for (int slot = 0; slot + size <= bytes.Length; slot += size)
            {
                var record = bytes.AsSpan(slot, size).ToArray();
                for (long number = 1; number <= SampleImage.Superblock.InodeCount && record.AsSpan().ContainsAnyExcept((byte)0); number++)
                {
                    if (Decodes(record, number, block) && seen.Add(number))
                    {
                        yield return FuzzInput.Prefix(number, record);
                    }
                }
            }
        }
    }

    private static bool Decodes(ReadOnlySpan<byte> record, long number, long block)
    {
        try
        {
            Inode.ReadFrom(record, number, record.Length, SampleImage.Seed, block);
            return true;
        }
        catch (Format.InvalidFileSystemException)
        {
            return false;
        }
    }
}
