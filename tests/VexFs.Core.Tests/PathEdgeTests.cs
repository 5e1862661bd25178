using System.Text;
using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>'.' and '..' in paths, symbolic-link targets, and undefined open modes.</summary>
public sealed class PathEdgeTests
{
    [Fact]
    public void Create_directory_steps_over_dot_and_dot_dot_as_mkdir_p_does()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        fs.CreateDirectory("/d/./x");
        fs.CreateDirectory("/a/./b/..");
        fs.CreateDirectory("/a/b/../c/./");
        Assert.True(fs.Exists("/d/x"));
        Assert.Equal(["b", "c"], fs.EnumerateEntries("/a").Select(e => e.Name).Order());
        Assert.Equal(["a", "d", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
    }

    [Fact]
    public void Dot_and_dot_dot_after_a_regular_file_are_not_a_directory()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        fs.OpenFile("/f", FileMode.CreateNew).Dispose();
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.GetInfo("/f/.."));
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.GetInfo("/f/."));
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.CreateDirectory("/f/../g"));
        Assert.False(fs.Exists("/f/.."));
        Assert.False(fs.Exists("/g"));
    }

    [Fact]
    public void A_trailing_slash_names_a_directory_only()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        fs.OpenFile("/f", FileMode.CreateNew).Dispose();
        fs.CreateDirectory("/d/");
        Assert.Equal(fs.GetInfo("/d").Inode, fs.GetInfo("/d/").Inode);
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.GetInfo("/f/"));
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.OpenFile("/f/", FileMode.Open));
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.Delete("/f/"));
        Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.Move("/f/", "/g"));
        Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.OpenFile("/new/", FileMode.CreateNew));
        Assert.False(fs.Exists("/f/"));
        fs.Move("/d/", "/e/");
        Assert.Equal(["e", "f", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
    }

    [Fact]
    public void Symbolic_link_targets_that_are_empty_hold_nul_or_pass_path_max_are_refused()
    {
        var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.CreateSymbolicLink("/a", "x\0y"));
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.CreateSymbolicLink(fs.RootInode, "b", "\0"));
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.CreateSymbolicLink("/c", string.Empty));
            Refusals.AssertKind(VexErrorKind.NameTooLong, () => fs.CreateSymbolicLink("/d", new string('t', 4096)));
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.CreateSymbolicLink("/e", "bad\uD800"));
            fs.CreateSymbolicLink("/longest", new string('t', 4095));
            Assert.Equal(4095, Encoding.UTF8.GetByteCount(fs.ReadLink("/longest")));
            Assert.Equal(["longest", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        device.Dispose();
    }

    [Fact]
    public void Undefined_file_modes_access_and_sharing_are_refused_and_create_nothing()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile("/m", (FileMode)99));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile("/m", (FileMode)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile("/a", FileMode.Create, (FileAccess)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile("/a", FileMode.Create, (FileAccess)8));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile("/s", FileMode.Create, FileAccess.ReadWrite, (FileShare)64));
        long file = fs.CreateFile(fs.RootInode, "f").Inode;
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile(file, (FileAccess)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.OpenFile(file, FileAccess.Read, (FileShare)64));
        Assert.Equal(["f", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
    }
}
