using System.Buffers.Binary;
using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Format.Checksums;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>
/// A label that is not UTF-8 (its checksum recomputed, as fuzzing made it): decoding it would give a string
/// longer than the 64-byte field, which a later write of the superblock cannot hold.
/// </summary>
public sealed class SuperblockLabelTests
{
    private const int LabelOffset = 0x060;
    private const int ChecksumOffset = 0x1FC;

    private static MemoryBlockDevice WithLabelBytes(params byte[] label)
    {
        var device = new MemoryBlockDevice(8L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, Label = "x" });
        var record = new byte[Superblock.Size];
        device.Read(Superblock.ByteOffset, record);
        record.AsSpan(LabelOffset, Superblock.LabelSize).Clear();
        label.CopyTo(record.AsSpan(LabelOffset + Superblock.LabelSize - label.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(ChecksumOffset), Crc32C.ComputeSkipping(record.AsSpan(0, 512), ChecksumOffset));
        device.Write(Superblock.ByteOffset, record);
        return device;
    }

    [Fact]
    public void A_label_that_is_not_utf8_is_refused_naming_the_field()
    {
        using var device = WithLabelBytes(0x41, 0xE8);
        var e = Assert.Throws<InvalidFileSystemException>(() => SuperblockCopies.Read(device));
        Assert.Contains("superblock.label", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fsck_repairing_an_image_whose_label_is_not_utf8_does_not_crash()
    {
        using var device = WithLabelBytes(0xE8);
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true, Repair = true });
        Assert.NotEqual(CheckReport.ExitClean, report.ExitCode);
    }

    [Fact]
    public void A_utf8_label_filling_the_field_round_trips()
    {
        string label = new('é', Superblock.LabelSize / 2);
        var device = new MemoryBlockDevice(8L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, Label = label });
        Assert.Equal(label, SuperblockCopies.Read(device).Label);
    }
}
