using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>Recursive removal: linear in the size of the tree however deep it is, and never of the root.</summary>
public sealed class DeepRemovalTests
{
    [Fact]
    public void A_tree_20000_directories_deep_is_removed_whole()
    {
        const int Depth = 20_000;
        var device = new MemoryBlockDevice(256L << 20);
        using (var fs = VexFileSystem.Format(device, new FormatOptions { InodeCount = 32_768 }, leaveOpen: true))
        {
            long directory = fs.CreateDirectory(fs.RootInode, "deep").Inode;
            fs.CreateDirectory(fs.RootInode, "kept");
            for (int level = 1; level < Depth; level++)
            {
                if (level % 1000 == 0)
                {
                    fs.CreateFile(directory, "file");
                    fs.CreateSymbolicLink(directory, "link", "..");
                }

                directory = fs.CreateDirectory(directory, "d").Inode;
            }

            long freeInodes = fs.GetSpaceInfo().FreeInodes;
            fs.DeleteDirectory("/deep", recursive: true);

            Assert.False(fs.Exists("/deep"));
            Assert.Throws<FileNotFoundException>(() => fs.GetInfo(directory));
            Assert.Equal(["kept", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
            Assert.Equal(freeInodes + Depth + (2 * (Depth / 1000)) - 2, fs.GetSpaceInfo().FreeInodes);
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        device.Dispose();
    }

    [Fact]
    public void The_root_is_never_removed_and_nothing_goes_before_the_refusal()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        fs.CreateDirectory("/a/b");
        fs.OpenFile("/a/f", FileMode.CreateNew).Dispose();
        foreach (string root in new[] { "/", "//", "/a/..", "/." })
        {
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.DeleteDirectory(root, recursive: true));
        }

        Assert.Equal(["a", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
        Assert.Equal(["b", "f"], fs.EnumerateEntries("/a").Select(e => e.Name).Order());
    }
}
