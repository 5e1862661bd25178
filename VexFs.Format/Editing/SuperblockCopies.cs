using VexFs.BlockDevices;
using VexFs.Format.Records;

namespace VexFs.Format.Editing;

/// <summary>Writes one group's copy of the superblock and of the descriptor table.</summary>
internal static class SuperblockCopies
{
    public static void Write(BlockDevice device, Geometry geometry, Superblock sb, ReadOnlySpan<byte> descriptors, int group)
    {
        int sector = device.SectorSize;
        long offset = geometry.SuperblockByteOffset(group);
        long aligned = offset / sector * sector;
        int span = (int)(((offset - aligned + Superblock.Size + sector - 1) / sector) * sector);
        var record = new byte[span];
        device.Read(aligned, record);
        sb.WriteTo(record.AsSpan((int)(offset - aligned), Superblock.Size));
        device.Write(aligned, record);
        device.Write(geometry.DescriptorTableBlock(group) * geometry.BlockSize, descriptors);
    }
}
