using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Format.Tests;

public sealed class FormatterTests
{
    private static readonly CheckOptions Forced = new() { Force = true };

    [Theory]
    [InlineData(16L << 20, 1024)]
    [InlineData(16L << 20, 4096)]
    [InlineData(64L << 20, 2048)]
    [InlineData(300L << 20, 4096)]
    [InlineData(512L << 20, 65536)]
    public void A_new_filesystem_checks_clean(long size, int blockSize)
    {
        using var device = new MemoryBlockDevice(size);
        var layout = Formatter.Format(device, new FormatOptions { BlockSize = blockSize, Label = "test" });
        var report = FileSystemChecker.Check(device, Forced);
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        Assert.Equal(CheckReport.ExitClean, report.ExitCode);
        Assert.Equal(2, report.Directories);
        Assert.Equal(layout.BlockCount - layout.FreeBlocks, report.BlocksUsed);
        Assert.Equal(layout.BlockCount, report.BlockCount);
    }

    [Fact]
    public void Formatting_a_terabyte_writes_megabytes()
    {
        using var device = new MemoryBlockDevice(1L << 40);
        var layout = Formatter.Format(device);
        Assert.True(device.AllocatedBytes < 64L << 20, $"{device.AllocatedBytes} bytes written");
        Assert.Equal(8192, layout.GroupCount);
        var report = FileSystemChecker.Check(device, Forced);
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings.Take(5)));
    }

    [Fact]
    public void The_superblock_and_its_backups_agree_with_the_plan()
    {
        using var device = new MemoryBlockDevice(1L << 30);
        var layout = Formatter.Format(device, new FormatOptions { Label = "vex", Uuid = Guid.Parse("0a1b2c3d-0000-4000-8000-000000000001") });
        Assert.Equal([1, 3, 5, 7], layout.BackupGroups);
        var buffer = new byte[4096];
        device.Read(0, buffer);
        var primary = Superblock.ReadFrom(buffer.AsSpan((int)Superblock.ByteOffset), 0, device.Length);
        Assert.Equal("vex", primary.Label);
        Assert.Equal(Guid.Parse("0a1b2c3d-0000-4000-8000-000000000001"), primary.Uuid);
        foreach (int group in layout.BackupGroups)
        {
            device.Read(group * 32768L * 4096, buffer);
            var backup = Superblock.ReadFrom(buffer, group * 32768L, device.Length);
            Assert.Equal(group, backup.CopyGroup);
            Assert.Equal(primary with { CopyGroup = group }, backup);
        }
    }

    [Fact]
    public void Vector_spaces_declared_at_format_time_are_in_the_table()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var spaces = new[] { new VectorSpaceDefinition("text", 384, VectorMetric.Cosine), VectorSpaceDefinition.Parse("images:512:l2:f32") };
        var layout = Formatter.Format(device, new FormatOptions { VectorSpaces = spaces });
        var block = new byte[4096];
        device.Read(layout.Superblock.VectorTableBlock * 4096, block);
        var (read, nextId) = VectorSpaceTable.Read(block, layout.Superblock.VectorTableBlock, layout.Superblock.ChecksumSeed, layout.Superblock.InodeCount);
        Assert.Equal(spaces, read.Select(s => s.Definition));
        Assert.Equal(3, nextId);
        Assert.True(layout.Superblock.Incompatible.HasFlag(IncompatibleFeatures.VectorSpaces));
        Assert.True(FileSystemChecker.Check(device, Forced).IsClean);
    }

    [Theory]
    [InlineData("images:512:l2:f16", "float32 only")]
    [InlineData("images:512:l2:i8", "float32 only")]
    [InlineData("images:512:l2:f64", "not an element type")]
    [InlineData("images:0:l2", "dimension")]
    [InlineData("images:4097", "dimension")]
    [InlineData("images:8:hamming", "not a metric")]
    public void Vector_spaces_the_engine_cannot_store_are_refused_with_the_reason(string definition, string reason)
    {
        var e = Assert.Throws<FormatException>(() => VectorSpaceDefinition.Parse(definition));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(64L << 10, 4096, "too small")]
    [InlineData(64L << 20, 3000, "power of two")]
    [InlineData(64L << 20, 512, "power of two")]
    public void Impossible_layouts_are_refused_with_the_reason(long size, int blockSize, string reason)
    {
        using var device = new MemoryBlockDevice(size);
        var e = Assert.Throws<ArgumentException>(() => Formatter.Format(device, new FormatOptions { BlockSize = blockSize }));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, device.AllocatedBytes);
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        Assert.Contains("label", new FormatOptions { Label = new string('x', 65) }.Problem(), StringComparison.Ordinal);
        Assert.Contains("inode size", new FormatOptions { InodeSize = 100 }.Problem(), StringComparison.Ordinal);
        Assert.Contains("twice", new FormatOptions { VectorSpaces = [new("a", 3), new("a", 4)] }.Problem(), StringComparison.Ordinal);
        Assert.Contains("dimension", new FormatOptions { VectorSpaces = [new("a", 5000)] }.Problem(), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => VectorSpaceDefinition.Parse("a:0"));
        Assert.Throws<FormatException>(() => VectorSpaceDefinition.Parse("a:3:manhattan"));
    }

    [Fact]
    public void A_clean_filesystem_is_skipped_unless_forced()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        Formatter.Format(device);
        var report = FileSystemChecker.Check(device);
        Assert.True(report.SkippedClean);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void The_journal_can_be_sized_and_is_bounded()
    {
        using var device = new MemoryBlockDevice(256L << 20);
        var layout = Formatter.Format(device, new FormatOptions { JournalSize = 8L << 20 });
        Assert.Equal(2048, layout.JournalBlocks);
        Assert.Throws<ArgumentException>(() => FormatLayout.Plan(256L << 20, 512, new FormatOptions { JournalSize = 1L << 30 }));
        Assert.Throws<ArgumentException>(() => FormatLayout.Plan(256L << 20, 512, new FormatOptions { JournalSize = 4096 }));
    }

    [Fact]
    public void Inode_count_follows_the_options()
    {
        var byCount = FormatLayout.Plan(1L << 30, 512, new FormatOptions { InodeCount = 100_000 });
        Assert.InRange(byCount.InodeCount, 100_000, 100_000 + (8 * 16));
        var byRatio = FormatLayout.Plan(1L << 30, 512, new FormatOptions { BytesPerInode = 65536 });
        Assert.Equal((1L << 30) / 65536, byRatio.InodeCount);
    }
}
