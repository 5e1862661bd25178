using System.Buffers.Binary;
using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>Multi-mount protection on disk: the MMP block's bytes, its superblock fields, mkfs -O mmp, and fsck's check and repair of it.</summary>
public sealed class MmpFormatTests
{
    private const int BlockSize = 4096;
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true, NodeName = "checker" };

    private static (MemoryBlockDevice Device, FormatLayout Layout) Formatted()
    {
        var device = new MemoryBlockDevice(64L << 20);
        var layout = Formatter.Format(device, new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 1, Uuid = Guid.Parse("31111111-2222-4333-8444-555555555555") });
        return (device, layout);
    }

    [Fact]
    public void Mmp_block_layout()
    {
        const uint Seed = 0xC0FFEE11;
        var mmp = new MmpBlock { Sequence = 0x01020304, TimeNs = 0x1122334455667788, NodeName = "nöde-a", DeviceName = "nbd0", CheckInterval = 7 };
        var block = new byte[BlockSize];
        block.AsSpan().Fill(0xAA);
        mmp.WriteTo(block, 42, Seed);

        byte[] expected = new byte[BlockSize];
        byte[] head = [0x56, 0x4D, 0x4D, 0x50, 0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11];
        head.CopyTo(expected, 0);
        byte[] node = [(byte)'n', 0xC3, 0xB6, (byte)'d', (byte)'e', (byte)'-', (byte)'a'];
        node.CopyTo(expected, 0x10);
        "nbd0"u8.ToArray().CopyTo(expected, 0x50);
        expected[0x70] = 7;
        uint checksum = SeededReference(Seed, 42, expected.AsSpan(0, MmpBlock.Size));
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(0x1FC), checksum);
        Assert.Equal(expected, block);

        Assert.Equal(mmp, MmpBlock.ReadFrom(block, 42, Seed));
        Assert.Equal(512, MmpBlock.Size);
        Assert.Throws<InvalidFileSystemException>(() => MmpBlock.ReadFrom(block, 43, Seed));
        block[0x08] ^= 1;
        Assert.Contains("checksum", Assert.Throws<InvalidFileSystemException>(() => MmpBlock.ReadFrom(block, 42, Seed)).Message, StringComparison.OrdinalIgnoreCase);
        block[0] = 0;
        Assert.Throws<InvalidFileSystemException>(() => MmpBlock.ReadFrom(block, 42, Seed));
    }

    [Fact]
    public void Special_sequences_and_wrapping_follow_ext4()
    {
        Assert.Equal(0xFF4D4D50u, MmpBlock.Clean);
        Assert.Equal(0xE24D4D50u, MmpBlock.Fsck);
        Assert.Equal(1u, MmpBlock.Next(0xE24D4D4Fu));
        Assert.Equal(0xE24D4D4Fu, MmpBlock.Next(0xE24D4D4Eu));
        Assert.Equal(1u, MmpBlock.Next(0));
    }

    [Fact]
    public void Long_names_are_cut_on_a_character_boundary()
    {
        string name = new string('x', 63) + "é";
        var block = new byte[BlockSize];
        new MmpBlock { NodeName = name, DeviceName = new string('d', 40) }.WriteTo(block, 1, 0);
        var read = MmpBlock.ReadFrom(block, 1, 0);
        Assert.Equal(new string('x', 63), read.NodeName);
        Assert.Equal(new string('d', 32), read.DeviceName);
    }

    [Fact]
    public void Superblock_fields_round_trip_and_are_validated()
    {
        var sb = FormatLayout.Plan(64L << 20, 512, new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 9 }).Superblock;
        var b = new byte[Superblock.Size];
        sb.WriteTo(b);
        Assert.Equal(sb.VectorTableBlock + 1, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x110)));
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x118)));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x00C)) & 4u);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x10C)));
        Assert.Equal(sb, Superblock.ReadFrom(b, 1, 64L << 20));

        (sb with { MmpBlock = sb.VectorTableBlock + 2 }).WriteTo(b);
        Assert.Equal("superblock.mmp_block", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 64L << 20)).Field);
        (sb with { MmpBlock = sb.BlockCount }).WriteTo(b);
        Assert.Equal("superblock.mmp_block", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 64L << 20)).Field);
        (sb with { MmpInterval = 0 }).WriteTo(b);
        Assert.Equal("superblock.mmp_interval", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 64L << 20)).Field);

        var without = FormatLayout.Plan(64L << 20, 512, FormatOptions.Default).Superblock;
        without.WriteTo(b);
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x110)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x118)));
    }

    [Fact]
    public void The_update_interval_is_bounded()
    {
        Assert.Contains("MMP update interval", new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 0 }.Problem(), StringComparison.Ordinal);
        Assert.Contains("MMP update interval", new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 301 }.Problem(), StringComparison.Ordinal);
        Assert.Null(new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 300 }.Problem());
    }

    [Fact]
    public void A_filesystem_made_with_mmp_is_clean_and_its_block_in_use_and_claimed()
    {
        var (device, layout) = Formatted();
        using var _ = device;
        var sb = layout.Superblock;
        Assert.True(sb.HasMultiMountProtection);
        Assert.Equal(sb.VectorTableBlock + 1, sb.MmpBlock);
        Assert.Equal(1, sb.MmpInterval);

        var plain = FormatLayout.Plan(64L << 20, 512, new FormatOptions { Uuid = layout.Uuid });
        Assert.Equal(plain.FreeBlocks - 1, layout.FreeBlocks);

        var bitmap = new byte[BlockSize];
        device.Read(layout.Groups[0].BlockBitmap * BlockSize, bitmap);
        Assert.True(Bitmap.IsSet(bitmap, (int)sb.MmpBlock));
        Assert.False(Bitmap.IsSet(bitmap, (int)sb.MmpBlock + 1));

        var block = new byte[BlockSize];
        device.Read(sb.MmpBlock * BlockSize, block);
        var mmp = MmpBlock.ReadFrom(block, sb.MmpBlock, sb.ChecksumSeed);
        Assert.Equal(MmpBlock.Clean, mmp.Sequence);
        Assert.Equal(1, mmp.CheckInterval);

        var report = FileSystemChecker.Check(device, CheckOnly);
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        Assert.Equal(layout.BlockCount - layout.FreeBlocks, report.BlocksUsed);
        Assert.Equal(plain.BlockCount - plain.FreeBlocks + 1, report.BlocksUsed);
    }

    [Fact]
    public void Fsck_reports_a_bitmap_that_marks_the_mmp_block_free()
    {
        var (device, layout) = Formatted();
        using var _ = device;
        var sb = layout.Superblock;
        var bitmap = new byte[BlockSize];
        long bitmapBlock = layout.Groups[0].BlockBitmap;
        device.Read(bitmapBlock * BlockSize, bitmap);
        bitmap[(int)(sb.MmpBlock / 8)] &= (byte)~(1 << (int)(sb.MmpBlock % 8));
        device.Write(bitmapBlock * BlockSize, bitmap);

        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.False(found.IsClean);
        Assert.Contains(found.Findings, f => f.Area == "bitmap");
    }

    [Fact]
    public void A_damaged_mmp_block_is_reported_by_a_check_and_rewritten_clean_by_a_repair()
    {
        var (device, layout) = Formatted();
        using var _ = device;
        var sb = layout.Superblock;
        var block = new byte[BlockSize];
        device.Read(sb.MmpBlock * BlockSize, block);
        block[0x20] ^= 0xFF;
        device.Write(sb.MmpBlock * BlockSize, block);

        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.Equal(CheckReport.ExitUncorrected, found.ExitCode);
        Assert.Contains(found.Findings, f => f.Area == "mmp" && !f.Fixed);
        var untouched = new byte[BlockSize];
        device.Read(sb.MmpBlock * BlockSize, untouched);
        Assert.Equal(block, untouched);

        var repaired = FileSystemChecker.Check(device, Fix);
        Assert.Equal(CheckReport.ExitCorrected, repaired.ExitCode);
        Assert.Contains(repaired.Findings, f => f.Area == "mmp" && f.Fixed);
        device.Read(sb.MmpBlock * BlockSize, block);
        var mmp = MmpBlock.ReadFrom(block, sb.MmpBlock, sb.ChecksumSeed);
        Assert.Equal(MmpBlock.Clean, mmp.Sequence);
        Assert.Equal("checker", mmp.NodeName);
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
    }

    [Fact]
    public void A_repair_refuses_while_another_node_keeps_the_block_alive()
    {
        var (device, layout) = Formatted();
        using var _ = device;
        using (var holder = MultiMountGuard.Acquire(device, layout.Superblock, "node-a", forFsck: false, CancellationToken.None))
        {
            holder.StartHeartbeat(_ => { });
            var refused = FileSystemChecker.Check(device, Fix);
            Assert.Equal(CheckReport.ExitOperationalError, refused.ExitCode);
            Assert.Contains("in use by node 'node-a'", refused.OperationalError, StringComparison.Ordinal);
            Assert.False(holder.Lost);
        }

        var block = new byte[BlockSize];
        device.Read(layout.Superblock.MmpBlock * BlockSize, block);
        Assert.Equal(MmpBlock.Clean, MmpBlock.ReadFrom(block, layout.Superblock.MmpBlock, layout.Superblock.ChecksumSeed).Sequence);
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
    }

    [Fact]
    public void A_repair_takes_over_the_sequence_a_killed_repair_left_and_leaves_the_block_clean()
    {
        var (device, layout) = Formatted();
        using var _ = device;
        var sb = layout.Superblock;
        MultiMountGuard.Write(device, sb, new MmpBlock { Sequence = MmpBlock.Fsck, TimeNs = 1, NodeName = "killed-checker", CheckInterval = 1 });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = FileSystemChecker.Check(device, Fix);
        Assert.True(report.IsClean, report.OperationalError + string.Join(Environment.NewLine, report.Findings));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(6.8), $"{clock.Elapsed}: it did not wait for the killed repair's updates");
        var mmp = MultiMountGuard.Read(device, sb);
        Assert.Equal(MmpBlock.Clean, mmp.Sequence);
        Assert.Equal("checker", mmp.NodeName);
    }

    /// <summary>The seeded CRC32C computed bit by bit: the register starts at the inverted seed, runs over the location (8 bytes) and the record with its checksum field as zero.</summary>
    private static uint SeededReference(uint seed, long location, ReadOnlySpan<byte> record)
    {
        var bytes = new byte[8 + record.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, location);
        record.CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + 0x1FC, 4).Clear();
        uint crc = ~seed;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
