using System.Buffers.Binary;
using VexFs.BlockDevices;

namespace MkfsVexfs;

/// <summary>Recognises the filesystems mkfs must not overwrite silently, by their superblock magic.</summary>
internal static class Signatures
{
    private const int ProbeBytes = 128 * 1024;

    public static string? Detect(BlockDevice device)
    {
        var probe = new byte[(int)Math.Min(ProbeBytes, device.Length / device.SectorSize * device.SectorSize)];
        device.Read(0, probe);
        ReadOnlySpan<byte> p = probe;
        if (p.Length >= 1024 + 4 && BinaryPrimitives.ReadUInt32LittleEndian(p[1024..]) == 0x53465856)
        {
            return "VexFS";
        }

        if (p.Length >= 1024 + 0x5C && BinaryPrimitives.ReadUInt16LittleEndian(p[(1024 + 0x38)..]) == 0xEF53)
        {
            uint compat = BinaryPrimitives.ReadUInt32LittleEndian(p[(1024 + 0x5C)..]);
            uint incompat = BinaryPrimitives.ReadUInt32LittleEndian(p[(1024 + 0x60)..]);
            return (incompat & 0x40) != 0 ? "ext4" : (compat & 0x4) != 0 ? "ext3" : "ext2";
        }

        if (p.Length >= 4 && p[..4].SequenceEqual("XFSB"u8))
        {
            return "XFS";
        }

        if (p.Length >= 0x10040 + 8 && p.Slice(0x10040, 8).SequenceEqual("_BHRfS_M"u8))
        {
            return "btrfs";
        }

        return null;
    }
}
