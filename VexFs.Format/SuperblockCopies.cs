using VexFs.BlockDevices;
using VexFs.Format.Records;

namespace VexFs.Format;

/// <summary>Reads and writes the copies of the superblock (and of the descriptor table) on a device.</summary>
internal static class SuperblockCopies
{
    /// <summary>Decodes the superblock at <paramref name="byteOffset"/> (the primary's is 1024).</summary>
    public static Superblock Read(BlockDevice device, long byteOffset = Superblock.ByteOffset)
    {
        var (aligned, record) = Sectors(device, byteOffset);
        if (aligned + record.Length > device.Length)
        {
            throw new InvalidFileSystemException($"{device.Description} is too small to hold a VexFS superblock at byte {byteOffset}.");
        }

        device.Read(aligned, record);
        return Superblock.ReadFrom(record.AsSpan((int)(byteOffset - aligned)), byteOffset / 1024, device.Length);
    }

    /// <summary>Writes the superblock record at <paramref name="byteOffset"/>, leaving the rest of its sectors as they are.</summary>
    public static void WriteRecord(BlockDevice device, Superblock sb, long byteOffset = Superblock.ByteOffset)
    {
        var (aligned, record) = Sectors(device, byteOffset);
        device.Read(aligned, record);
        sb.WriteTo(record.AsSpan((int)(byteOffset - aligned), Superblock.Size));
        device.Write(aligned, record);
    }

    /// <summary>Writes one group's copy of the superblock and of the descriptor table.</summary>
    public static void Write(BlockDevice device, Geometry geometry, Superblock sb, ReadOnlySpan<byte> descriptors, int group)
    {
        WriteRecord(device, sb, geometry.SuperblockByteOffset(group));
        device.Write(geometry.DescriptorTableBlock(group) * geometry.BlockSize, descriptors);
    }

    /// <summary>
    /// Writes the superblock and the descriptor table of <paramref name="groups"/> into every copy from
    /// <paramref name="firstGroup"/> on (0 includes the primary, 1 only the backups, the tail copy among them).
    /// </summary>
    public static void WriteAll(BlockDevice device, Geometry geometry, Superblock sb, IReadOnlyList<GroupDescriptor> groups, int firstGroup)
    {
        var table = new byte[(long)sb.DescriptorBlocks * sb.BlockSize];
        for (int g = 0; g < groups.Count; g++)
        {
            groups[g].WriteTo(table.AsSpan(g * GroupDescriptor.Size, GroupDescriptor.Size), g, sb.ChecksumSeed);
        }

        foreach (int g in geometry.Copies.Where(c => c >= firstGroup))
        {
            Write(device, geometry, sb with { CopyGroup = g }, table, g);
        }
    }

    /// <summary>The sector-aligned span of the device that holds a superblock record at <paramref name="byteOffset"/>.</summary>
    private static (long Aligned, byte[] Buffer) Sectors(BlockDevice device, long byteOffset)
    {
        int sector = device.SectorSize;
        long aligned = byteOffset / sector * sector;
        int span = (int)(((byteOffset - aligned + Superblock.Size + sector - 1) / sector) * sector);
        return (aligned, new byte[span]);
    }
}
