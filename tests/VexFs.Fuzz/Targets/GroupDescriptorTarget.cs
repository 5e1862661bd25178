using System.Buffers.Binary;
using VexFs.Format.Checksums;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>The sample's group descriptors, each checksum made to match, decoded against its geometry.</summary>
internal static class GroupDescriptorTarget
{
    private const int ChecksumOffset = 0x3C;

    public static void Run(byte[] input)
    {
        var block = FuzzInput.Fit(input, SampleImage.BlockSize);
        for (int group = 0; group < SampleImage.Geometry.GroupCount; group++)
        {
            var b = block.AsSpan(group * GroupDescriptor.Size, GroupDescriptor.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(b[ChecksumOffset..], Crc32C.ComputeMetadata(SampleImage.Seed, (ulong)group, b, ChecksumOffset));
            GroupDescriptor.ReadFrom(b, group, 2, SampleImage.Geometry);
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        var block = new byte[SampleImage.BlockSize];
        SampleImage.Clean.Read(SampleImage.Geometry.DescriptorTableBlock(0) * SampleImage.BlockSize, block);
        yield return block;
    }
}
