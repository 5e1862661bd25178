using System.Buffers.Binary;
using VexFs.BlockDevices;
using VexFs.Format.Checksums;
using VexFs.Format.Records;

namespace VexFs.Fuzz;

/// <summary>
/// A whole image as byte patches over a small sample, with every checksum of the sample's metadata made to
/// match afterwards, so that fsck and the library meet damage their checksums would not catch (as a field
/// changed with its checksum recomputed). Input: one byte choosing the clean or the needs-recovery sample,
/// then patches of a 16-bit block, a 16-bit offset, an 8-bit length and that many bytes.
/// </summary>
internal static class SealedImage
{
    private const int PatchHeader = 5;
    private const int DescriptorBlockBitmapChecksum = 0x2C;
    private const int DescriptorInodeBitmapChecksum = 0x30;
    private const int DescriptorChecksum = 0x3C;
    private const int SuperblockIncompatible = 0x00C;
    private const int SuperblockSeed = 0x100;
    private const int SuperblockUuid = 0x050;
    private const int SuperblockChecksum = 0x1FC;

    private static readonly Lazy<HashSet<long>>[] TailSealed =
    [
        new(() => TailSealedBlocks(SampleImage.SmallClean)),
        new(() => TailSealedBlocks(SampleImage.SmallNeedsRecovery)),
    ];

    public static MemoryBlockDevice Decode(ReadOnlySpan<byte> input)
    {
        int variant = input.IsEmpty ? 0 : input[0] & 1;
        var device = (variant == 0 ? SampleImage.SmallClean : SampleImage.SmallNeedsRecovery).Snapshot();
        int blockSize = SampleImage.BlockSize;
        long blocks = device.Length / blockSize;
        var block = new byte[blockSize];
        for (int at = 1; at + PatchHeader <= input.Length;)
        {
            long number = BinaryPrimitives.ReadUInt16LittleEndian(input[at..]) % blocks;
            int offset = BinaryPrimitives.ReadUInt16LittleEndian(input[(at + 2)..]) % blockSize;
            int length = Math.Min(input[at + 4], Math.Min(blockSize - offset, input.Length - at - PatchHeader));
            device.Read(number * blockSize, block);
            input.Slice(at + PatchHeader, length).CopyTo(block.AsSpan(offset));
            device.Write(number * blockSize, block);
            at += PatchHeader + length;
        }

        Seal(device, TailSealed[variant].Value);
        return device;
    }

    public static IEnumerable<byte[]> Seeds() => [[0], [1]];

    private static void Seal(MemoryBlockDevice device, HashSet<long> tailSealed)
    {
        var geometry = SampleImage.Geometry;
        uint seed = SampleImage.Seed;
        int blockSize = SampleImage.BlockSize;
        var block = new byte[blockSize];
        foreach (long number in tailSealed)
        {
            device.Read(number * blockSize, block);
            BlockTail.Seal(block, number, seed);
            device.Write(number * blockSize, block);
        }

        var table = new byte[geometry.DescriptorBlocks * blockSize];
        device.Read(geometry.DescriptorTableBlock(0) * blockSize, table);
        for (int g = 0; g < geometry.GroupCount; g++)
        {
            var descriptor = table.AsSpan(g * GroupDescriptor.Size, GroupDescriptor.Size);
            SealBitmap(device, descriptor, 0x00, DescriptorBlockBitmapChecksum, g);
            SealBitmap(device, descriptor, 0x08, DescriptorInodeBitmapChecksum, g);
            SealInodeTable(device, BinaryPrimitives.ReadInt64LittleEndian(descriptor[0x10..]), g);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor[DescriptorChecksum..], Crc32C.ComputeMetadata(seed, (ulong)g, descriptor, DescriptorChecksum));
        }

        device.Write(geometry.DescriptorTableBlock(0) * blockSize, table);

        // The superblock last: its record is 1 KiB at byte 1024 whatever the block size.
        var record = new byte[Superblock.Size];
        device.Read(Superblock.ByteOffset, record);

        // Multi-mount protection waits seconds by design (a repair takes the device as a writer would, after two
        // update intervals): a patch that turned it on would meet those waits, not bugs.
        uint incompatible = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(SuperblockIncompatible));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(SuperblockIncompatible), incompatible & ~(uint)IncompatibleFeatures.MultiMountProtection);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(SuperblockSeed), Superblock.SeedFor(new Guid(record.AsSpan(SuperblockUuid, 16))));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(SuperblockChecksum), Crc32C.ComputeSkipping(record.AsSpan(0, 512), SuperblockChecksum));
        device.Write(Superblock.ByteOffset, record);
    }

    private static void SealBitmap(MemoryBlockDevice device, Span<byte> descriptor, int locationOffset, int checksumOffset, int group)
    {
        long location = BinaryPrimitives.ReadInt64LittleEndian(descriptor[locationOffset..]);
        if (location <= 0 || location >= device.Length / SampleImage.BlockSize)
        {
            return;
        }

        var bitmap = new byte[SampleImage.BlockSize];
        device.Read(location * SampleImage.BlockSize, bitmap);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[checksumOffset..], Bitmap.Checksum(bitmap, group, SampleImage.Seed));
    }

    private static void SealInodeTable(MemoryBlockDevice device, long start, int group)
    {
        var geometry = SampleImage.Geometry;
        int size = geometry.InodeSize;
        var block = new byte[SampleImage.BlockSize];
        for (int i = 0; i < geometry.InodeTableBlocks; i++)
        {
            long number = start + i;
            if (start <= 0 || number >= device.Length / SampleImage.BlockSize)
            {
                return;
            }

            device.Read(number * SampleImage.BlockSize, block);
            for (int slot = 0; slot < geometry.InodesPerBlock; slot++)
            {
                var record = block.AsSpan(slot * size, size);
                if (record.ContainsAnyExcept((byte)0))
                {
                    long inode = ((long)group * geometry.InodesPerGroup) + (i * geometry.InodesPerBlock) + slot + 1;
                    int checksumOffset = size - sizeof(uint);
                    BinaryPrimitives.WriteUInt32LittleEndian(record[checksumOffset..], Crc32C.ComputeMetadata(SampleImage.Seed, (ulong)inode, record, checksumOffset));
                }
            }

            device.Write(number * SampleImage.BlockSize, block);
        }
    }

    /// <summary>The blocks of a sample that end in their own checksum: extent nodes, directory blocks, attribute blocks, the vector table.</summary>
    private static HashSet<long> TailSealedBlocks(MemoryBlockDevice image)
    {
        var found = new HashSet<long>();
        var block = new byte[SampleImage.BlockSize];
        int limit = block.Length - sizeof(uint);
        for (long number = 0; number < image.Length / SampleImage.BlockSize; number++)
        {
            image.Read(number * SampleImage.BlockSize, block);
            if (block.AsSpan().ContainsAnyExcept((byte)0)
                && BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(limit)) == Crc32C.ComputeMetadata(SampleImage.Seed, (ulong)number, block, limit))
            {
                found.Add(number);
            }
        }

        return found;
    }
}
