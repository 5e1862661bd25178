using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>Nothing grows a file past <see cref="VexFileSystem.MaxFileSize"/>; what would is refused as EFBIG.</summary>
public sealed class FileSizeLimitTests
{
    [Fact]
    public void Writes_truncates_and_seeks_past_the_largest_file_size_are_refused()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            long max = fs.MaxFileSize;
            Assert.True(max > 0 && max % 4096 == 0);
            long file = fs.CreateFile(fs.RootInode, "f").Inode;

            Refusals.AssertKind(VexErrorKind.FileTooLarge, () => fs.Write(file, long.MaxValue - 2, "0123456789"u8));
            Refusals.AssertKind(VexErrorKind.FileTooLarge, () => fs.Write(file, max - 1, "01"u8));
            Refusals.AssertKind(VexErrorKind.FileTooLarge, () => fs.SetLength(file, max + 1));
            Refusals.AssertKind(VexErrorKind.FileTooLarge, () => fs.SetLength(file, long.MaxValue));
            Refusals.AssertKind(VexErrorKind.FileTooLarge, () => fs.Allocate(file, max - 4096, 8192));
            Refusals.AssertKind(VexErrorKind.FileTooLarge, () => fs.Allocate(file, long.MaxValue - 10, 100));
            Assert.Equal(0, fs.GetInfo(file).Size);

            using (var stream = fs.OpenFile("/f", FileMode.Open))
            {
                Refusals.AssertKind(VexErrorKind.FileTooLarge, () => stream.Position = long.MaxValue);
                Refusals.AssertKind(VexErrorKind.FileTooLarge, () => stream.Seek(max + 1, SeekOrigin.Begin));
                stream.Position = max - 1;
                Refusals.AssertKind(VexErrorKind.FileTooLarge, () => stream.Write("01"u8));
                Assert.Equal(max - 1, stream.Position);
                stream.Write("0"u8);
                Assert.Equal(max, stream.Position);
                Refusals.AssertKind(VexErrorKind.FileTooLarge, () => stream.Seek(1, SeekOrigin.Current));
            }

            Assert.Equal(max, fs.GetInfo(file).Size);
            var last = new byte[2];
            Assert.Equal(1, fs.Read(file, max - 1, last));
            Assert.Equal((byte)'0', last[0]);
            Assert.Equal(0, fs.Read(file, long.MaxValue, last));
            Assert.False(fs.IsReadOnly);
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
    }
}
