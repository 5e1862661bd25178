using System.Buffers.Binary;
using VexFs.Format.Checksums;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>The superblock record, its checksum seed and checksum made to match so that its fields are reached.</summary>
internal static class SuperblockTarget
{
    private const int SeedOffset = 0x100;
    private const int UuidOffset = 0x050;
    private const int ChecksumOffset = 0x1FC;
    private const int Sector = 512;

    public static void Run(byte[] input)
    {
        var record = FuzzInput.Fit(input, Superblock.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(SeedOffset), Superblock.SeedFor(new Guid(record.AsSpan(UuidOffset, 16))));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(ChecksumOffset), Crc32C.ComputeSkipping(record.AsSpan(0, Sector), ChecksumOffset));
        var sb = Superblock.ReadFrom(record, 1, SampleImage.Length);
        _ = new Format.Geometry(sb);
    }

    public static IEnumerable<byte[]> Seeds()
    {
        var record = new byte[Superblock.Size];
        SampleImage.Clean.Read(Superblock.ByteOffset, record);
        yield return record;
    }
}
