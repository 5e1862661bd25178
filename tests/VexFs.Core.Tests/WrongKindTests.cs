using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>Data calls by inode number on directories and symbolic links are refused and change nothing.</summary>
public sealed class WrongKindTests
{
    [Fact]
    public void Writes_and_truncates_of_directories_and_symbolic_links_are_refused()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            long dir = fs.CreateDirectory(fs.RootInode, "d").Inode;
            fs.CreateFile(dir, "inside");
            long link = fs.CreateSymbolicLink(fs.RootInode, "ln", "d/inside").Inode;
            var before = (fs.GetInfo(fs.RootInode).Size, fs.GetInfo(dir).Size, fs.GetInfo(link).Size);

            Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.SetLength(dir, 0));
            Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.SetLength(fs.RootInode, 0));
            Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.Write(dir, 8192, "x"u8));
            Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.Write(fs.RootInode, 0, "x"u8));
            Refusals.AssertKind(VexErrorKind.InvalidKind, () => fs.SetLength(link, 100_000));
            Refusals.AssertKind(VexErrorKind.InvalidKind, () => fs.Write(link, 0, "x"u8));
            Refusals.AssertKind(VexErrorKind.InvalidKind, () => fs.Read(link, 0, new byte[10]));

            Assert.False(fs.IsReadOnly);
            Assert.Equal(before, (fs.GetInfo(fs.RootInode).Size, fs.GetInfo(dir).Size, fs.GetInfo(link).Size));
            Assert.Equal("d/inside", fs.ReadLink(link));
            Assert.Equal(["inside"], fs.EnumerateEntries("/d").Select(e => e.Name));
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
    }
}
