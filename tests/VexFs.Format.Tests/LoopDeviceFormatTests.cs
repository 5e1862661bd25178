using VexFs.BlockDevices;
using VexFs.Format.Check;

namespace VexFs.Format.Tests;

/// <summary>mkfs and fsck on a real loop device, opened exclusively with O_DIRECT.</summary>
public sealed class LoopDeviceFormatTests
{
    [Fact]
    public void Format_then_check_a_loop_device()
    {
        using var loop = LoopDevice.Attach(512L << 20);
        FormatLayout layout;
        using (var device = LinuxBlockDevice.Open(loop.Path))
        {
            layout = Formatter.Format(device, new FormatOptions { Label = "loop" });
        }

        using (var device = LinuxBlockDevice.Open(loop.Path, new RawDeviceOptions { ReadOnly = true }))
        {
            var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
            Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
            Assert.Equal(layout.BlockCount - layout.FreeBlocks, report.BlocksUsed);
        }

        // The kernel sees the same bytes through the page cache: the primary superblock magic.
        var (exit, output) = LoopDevice.Run("dd", $"if={loop.Path}", "bs=1024", "skip=1", "count=1", "status=none", "iflag=direct", "of=/dev/stdout");
        Assert.Equal(0, exit);
        Assert.StartsWith("VXFS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_then_check_an_image_file_with_direct_io()
    {
        using var directory = new TempDirectory();
        string path = directory.File("fs.img");
        using (var device = ImageFileDevice.Create(path, 128L << 20, new ImageFileOptions { DirectIO = true }))
        {
            Formatter.Format(device, new FormatOptions { BlockSize = 1024 });
        }

        using var reopened = ImageFileDevice.Open(path, new ImageFileOptions { ReadOnly = true });
        Assert.True(FileSystemChecker.Check(reopened, new CheckOptions { Force = true }).IsClean);
    }
}
