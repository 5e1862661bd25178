using VexFs.BlockDevices;

namespace VexFs.Tools.Tests;

public sealed class MkfsFsckTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Mkfs_creates_an_image_and_fsck_finds_it_clean()
    {
        string image = _directory.File("fs.img");
        var mkfs = Tool.Run("mkfs.vexfs", "-L", "tools", "-V", "text:384:cosine", image, "64M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        Assert.Contains("Writing superblocks and filesystem accounting information: done", mkfs.Output, StringComparison.Ordinal);

        var fsck = Tool.Run("fsck.vexfs", "-f", "-n", image);
        Assert.Equal(0, fsck.ExitCode);
        Assert.Contains("Pass 5: Checking group summary information", fsck.Output, StringComparison.Ordinal);
        Assert.Contains("11/4096 files", fsck.Output, StringComparison.Ordinal);

        var clean = Tool.Run("fsck.vexfs", image);
        Assert.Equal(0, clean.ExitCode);
        Assert.Contains("clean", clean.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Mkfs_O_mmp_makes_a_clean_filesystem_whose_damaged_mmp_block_fsck_y_rewrites()
    {
        string image = _directory.File("mmp.img");
        Assert.Equal(1, Tool.Run("mkfs.vexfs", "-O", "mmp", "-E", "mmp_update_interval=0", image, "64M").ExitCode);
        var mkfs = Tool.Run("mkfs.vexfs", "-O", "mmp", "-E", "nodiscard,mmp_update_interval=1", image, "64M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        var line = System.Text.RegularExpressions.Regex.Match(mkfs.Output, @"Multi-mount protection: block (\d+), update interval 1 s");
        Assert.True(line.Success, mkfs.Output);
        long block = long.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        var clean = Tool.Run("fsck.vexfs", "-f", "-n", image);
        Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);

        using (var file = File.OpenWrite(image))
        {
            file.Position = (block * 4096) + 0x10;
            file.Write("intruder"u8);
        }

        var found = Tool.Run("fsck.vexfs", "-f", "-n", image);
        Assert.Equal(4, found.ExitCode);
        Assert.Contains("mmp: the multi-mount protection block is damaged", found.Output, StringComparison.Ordinal);
        var repaired = Tool.Run("fsck.vexfs", "-f", "-y", image);
        Assert.True(repaired.ExitCode == 1, repaired.Output + repaired.Error);
        Assert.Contains("rewritten clean (fixed)", repaired.Output, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
        Assert.DoesNotContain("Multi-mount", Tool.Run("mkfs.vexfs", "-n", image).Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Mkfs_refuses_to_overwrite_a_filesystem_without_force()
    {
        string image = _directory.File("twice.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "32M").ExitCode);
        var again = Tool.Run("mkfs.vexfs", image);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a filesystem of type VexFS; use -F", again.Error, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", "-F", image).ExitCode);
    }

    [Theory]
    [InlineData("-b", "3000")]
    [InlineData("-J", "size=1K")]
    [InlineData("-V", "text:0")]
    [InlineData("-E", "sometimes")]
    [InlineData("-E", "mmp_update_interval=2")]
    [InlineData("-O", "huge_file")]
    [InlineData("-U", "not-a-uuid")]
    public void Mkfs_rejects_bad_arguments_with_one_line(string option, string value)
    {
        string image = _directory.File("bad.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        var result = Tool.Run("mkfs.vexfs", option, value, image);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.StartsWith("mkfs.vexfs: ", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mkfs.vexfs", "-V")]
    [InlineData("fsck.vexfs", "-y")]
    public void Help_prints_the_options_and_succeeds(string tool, string option)
    {
        var help = Tool.Run(tool, "--help");
        Assert.True(help.ExitCode == 0, help.Error);
        Assert.Contains(option, help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("exception", help.Output + help.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Mkfs_refuses_a_missing_file_without_a_size_and_a_device_too_small()
    {
        Assert.Equal(1, Tool.Run("mkfs.vexfs", _directory.File("missing.img")).ExitCode);
        string tiny = _directory.File("tiny.img");
        File.WriteAllBytes(tiny, new byte[64 << 10]);
        var result = Tool.Run("mkfs.vexfs", tiny);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("too small", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Mkfs_dry_run_writes_nothing()
    {
        string image = _directory.File("dry.img");
        File.WriteAllBytes(image, new byte[32 << 20]);
        var result = Tool.Run("mkfs.vexfs", "-n", image);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("block groups", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllBytes(image), b => b != 0);
    }

    [Fact]
    public void Fsck_exit_codes_follow_fsck8()
    {
        // Two groups, so that a backup superblock exists.
        string image = _directory.File("damaged.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "256M").ExitCode);
        using (var device = ImageFileDevice.Open(image))
        {
            var sector = new byte[512];
            device.Read(1024, sector);
            sector[0x20] ^= 0xFF;
            device.Write(1024, sector);
        }

        Assert.Equal(4, Tool.Run("fsck.vexfs", "-n", "-f", image).ExitCode);
        var repaired = Tool.Run("fsck.vexfs", "-y", "-f", image);
        Assert.Equal(1, repaired.ExitCode);
        Assert.Contains("FILE SYSTEM WAS MODIFIED", repaired.Output, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-n", "-f", image).ExitCode);
        Assert.Equal(16, Tool.Run("fsck.vexfs", "-n", "-y", image).ExitCode);
        Assert.Equal(16, Tool.Run("fsck.vexfs", "--bogus", image).ExitCode);

        string garbage = _directory.File("garbage.img");
        File.WriteAllBytes(garbage, Enumerable.Repeat((byte)0x42, 1 << 20).ToArray());
        Assert.Equal(8, Tool.Run("fsck.vexfs", "-n", garbage).ExitCode);
    }

    [Fact]
    public void Mkfs_and_fsck_on_a_loop_device_refuse_it_while_mounted()
    {
        using var loop = LoopDevice.Attach(256L << 20);
        var mkfs = Tool.Run("mkfs.vexfs", "-q", loop.Path);
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", loop.Path).ExitCode);

        using var ext4 = LoopDevice.Attach(64L << 20);
        Assert.Equal(0, LoopDevice.Run("mkfs.ext4", "-q", "-F", ext4.Path).ExitCode);
        var refused = Tool.Run("mkfs.vexfs", ext4.Path);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("ext4", refused.Error, StringComparison.Ordinal);
        using var mountPoint = new TempDirectory();
        Assert.Equal(0, LoopDevice.Run("mount", ext4.Path, mountPoint.Path).ExitCode);
        try
        {
            var busy = Tool.Run("mkfs.vexfs", "-F", ext4.Path);
            Assert.Equal(1, busy.ExitCode);
            Assert.Contains("mounted on", busy.Error, StringComparison.Ordinal);
        }
        finally
        {
            LoopDevice.Run("umount", mountPoint.Path);
        }
    }
}
