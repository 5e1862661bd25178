using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>
/// Images damaged in one known way each: fsck must find the damage without crashing, a repair must fix it,
/// and a second check must come back clean.
/// </summary>
public sealed class CorruptionTests
{
    private const int BlockSize = 4096;
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true };

    private static (MemoryBlockDevice Device, FormatLayout Layout) Fresh()
    {
        var device = new MemoryBlockDevice(256L << 20);
        var layout = Formatter.Format(device, new FormatOptions { Uuid = Guid.Parse("11111111-2222-4333-8444-555555555555"), Timestamp = DateTimeOffset.UnixEpoch });
        return (device, layout);
    }

    private static void FlipByte(BlockDevice device, long byteOffset)
    {
        var sector = new byte[device.SectorSize];
        long at = byteOffset / sector.Length * sector.Length;
        device.Read(at, sector);
        sector[byteOffset - at] ^= 0x5A;
        device.Write(at, sector);
    }

    private static void AssertFoundThenRepaired(MemoryBlockDevice device, string expectedArea)
    {
        using var snapshot = device.Snapshot();
        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.Contains(found.Findings, f => f.Area == expectedArea);
        Assert.Equal(CheckReport.ExitUncorrected, found.ExitCode);
        Assert.True(device.ContentEquals(snapshot), "a check-only run wrote to the device");

        var repaired = FileSystemChecker.Check(device, Fix);
        Assert.Equal(CheckReport.ExitCorrected, repaired.ExitCode);
        Assert.All(repaired.Findings, f => Assert.True(f.Fixed, f.ToString()));

        var again = FileSystemChecker.Check(device, CheckOnly);
        Assert.True(again.IsClean, "second run: " + string.Join(Environment.NewLine, again.Findings));
        Assert.Equal(CheckReport.ExitClean, again.ExitCode);
    }

    [Fact]
    public void A_damaged_primary_superblock_is_restored_from_a_backup()
    {
        var (device, _) = Fresh();
        using (device)
        {
            FlipByte(device, Superblock.ByteOffset + 0x20);
            AssertFoundThenRepaired(device, "superblock");
        }
    }

    [Fact]
    public void A_damaged_group_descriptor_is_rebuilt()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.Geometry.DescriptorTableBlock(0) * BlockSize) + GroupDescriptor.Size + 0x18);
            AssertFoundThenRepaired(device, "group");
        }
    }

    [Fact]
    public void A_damaged_block_bitmap_is_rewritten()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.Groups[0].BlockBitmap * BlockSize) + 4000);
            AssertFoundThenRepaired(device, "bitmap");
        }
    }

    [Fact]
    public void A_damaged_inode_is_cleared_and_what_pointed_at_it_is_mended()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            // lost+found is inode 11, in slot 10 of the first inode-table block.
            FlipByte(device, (layout.Groups[0].InodeTable * BlockSize) + (10 * 256) + 0x10);
            AssertFoundThenRepaired(device, "inode");
        }
    }

    [Fact]
    public void A_damaged_directory_leaf_is_found()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, ((layout.RootDirectoryBlock + 1) * BlockSize) + 0x20);
            AssertFoundThenRepaired(device, "directory");
        }
    }

    [Fact]
    public void A_damaged_directory_index_is_rebuilt_from_its_leaves()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.RootDirectoryBlock * BlockSize) + 0x22);
            AssertFoundThenRepaired(device, "directory");
            var report = FileSystemChecker.Check(device, CheckOnly);
            Assert.Equal(2, report.Directories);
        }
    }

    [Fact]
    public void A_damaged_journal_header_is_rewritten()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.JournalStart * BlockSize) + 0x09);
            AssertFoundThenRepaired(device, "journal");
        }
    }

    [Fact]
    public void A_damaged_vector_table_is_salvaged()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.Superblock.VectorTableBlock * BlockSize) + 0x06);
            AssertFoundThenRepaired(device, "vectors");
        }
    }

    [Fact]
    public void A_wrong_free_count_in_the_superblock_is_corrected()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var sector = new byte[1024];
            device.Read(Superblock.ByteOffset, sector);
            var sb = Superblock.ReadFrom(sector, 1, device.Length);
            (sb with { FreeBlocks = sb.FreeBlocks - 7 }).WriteTo(sector);
            device.Write(Superblock.ByteOffset, sector);
            AssertFoundThenRepaired(device, "superblock");
        }
    }

    [Fact]
    public void Something_that_is_not_a_filesystem_is_an_operational_error()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        device.Write(0, Enumerable.Repeat((byte)0xEE, 1 << 20).ToArray());
        var report = FileSystemChecker.Check(device, CheckOnly);
        Assert.Equal(CheckReport.ExitOperationalError, report.ExitCode);
        Assert.Contains("no valid VexFS superblock", report.OperationalError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_image_is_an_operational_error_or_a_finding_never_a_crash()
    {
        var (device, _) = Fresh();
        using (device)
        {
            using var truncated = new MemoryBlockDevice(8L << 20);
            var buffer = new byte[8 << 20];
            device.Read(0, buffer);
            truncated.Write(0, buffer);
            var report = FileSystemChecker.Check(truncated, CheckOnly);
            Assert.NotEqual(CheckReport.ExitClean, report.ExitCode);
        }
    }

    [Fact]
    public void Random_single_byte_damage_to_metadata_is_found_or_harmless_and_never_crashes()
    {
        var (pristine, layout) = Fresh();
        using (pristine)
        {
            long[] metadata =
            [
                Superblock.ByteOffset / BlockSize, layout.Geometry.DescriptorTableBlock(0), layout.Groups[0].BlockBitmap,
                layout.Groups[0].InodeBitmap, layout.Groups[0].InodeTable, layout.JournalStart,
                layout.RootDirectoryBlock, layout.RootDirectoryBlock + 1, layout.LostAndFoundBlock, layout.LostAndFoundBlock + 1,
                layout.Superblock.VectorTableBlock,
            ];
            var random = new Random(20261125);
            for (int trial = 0; trial < 150; trial++)
            {
                using var device = pristine.Snapshot();
                long block = metadata[random.Next(metadata.Length)];
                int offset = block == Superblock.ByteOffset / BlockSize ? 1024 + random.Next(1024) : random.Next(BlockSize);
                FlipByte(device, (block * BlockSize) + offset);
                var report = FileSystemChecker.Check(device, Fix);
                Assert.NotEqual(CheckReport.ExitOperationalError, report.ExitCode);
                var again = FileSystemChecker.Check(device, CheckOnly);
                Assert.True(again.IsClean, $"trial {trial}: block {block} byte {offset}: {string.Join("; ", again.Findings)}");
            }
        }
    }
}
