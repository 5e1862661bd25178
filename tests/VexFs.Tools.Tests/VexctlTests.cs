namespace VexFs.Tools.Tests;

public sealed class VexctlTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_tree_put_into_an_image_comes_back_identical_and_checks_clean()
    {
        string tree = Path.Combine(_directory.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "a", "b"));
        File.WriteAllBytes(Path.Combine(tree, "a", "big.bin"), Patterns.Random(2_500_000, seed: 4));
        File.WriteAllText(Path.Combine(tree, "a", "b", "hi.txt"), "hello");
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "a/b/hi.txt");
        string image = _directory.File("tree.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "64M").ExitCode);

        var put = Tool.Run("vexctl", "--device", image, "put", "-r", tree, "/tree");
        Assert.True(put.ExitCode == 0, put.Error);
        var ls = Tool.Run("vexctl", "-d", image, "ls", "/tree/a");
        Assert.Equal(["b", "big.bin"], ls.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("hello", Tool.Run("vexctl", "-d", image, "cat", "/tree/a/b/hi.txt").Output);

        string back = Path.Combine(_directory.Path, "back");
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "get", "-r", "/tree", back).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(tree, "a", "big.bin")), File.ReadAllBytes(Path.Combine(back, "a", "big.bin")));
        Assert.Equal("a/b/hi.txt", new FileInfo(Path.Combine(back, "link")).LinkTarget);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);

        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "rm", "/tree/a").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "rm", "-r", "/tree/a").ExitCode);
        Assert.Equal(["link"], Tool.Run("vexctl", "-d", image, "ls", "/tree").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
    }

    [Fact]
    public void Mkfs_populates_a_new_filesystem_from_a_directory_tree()
    {
        string tree = Path.Combine(_directory.Path, "source");
        Directory.CreateDirectory(Path.Combine(tree, "x", "y"));
        File.WriteAllBytes(Path.Combine(tree, "x", "data.bin"), Patterns.Random(3_300_000, seed: 9));
        File.WriteAllText(Path.Combine(tree, "x", "y", "note.txt"), "note");
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix permissions are tested on Linux.");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(Path.Combine(tree, "x", "y", "note.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.CreateSymbolicLink(Path.Combine(tree, "to-note"), "x/y/note.txt");
        string data = Path.Combine(tree, "x", "data.bin");
        HostFiles.Link(data, Path.Combine(tree, "data-again.bin"));
        var modified = new DateTime(2019, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(data, modified);
        bool owned = HostFiles.TryChown(data, 1234, 5678);
        bool tagged = HostFiles.TrySetXattr(data, "user.tag", "red"u8.ToArray());
        string image = _directory.File("populated.img");

        var mkfs = Tool.Run("mkfs.vexfs", "-d", tree, image, "64M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        Assert.Contains("2 files, 2 directories, 1 symbolic links, 1 hard links", mkfs.Output, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
        using (var fs = Core.VexFileSystem.Open(BlockDevices.BlockDevice.Open(image, readOnly: true)))
        {
            var info = fs.GetInfo("/x/data.bin");
            Assert.Equal(info.Inode, fs.GetInfo("/data-again.bin").Inode);
            Assert.Equal(2, info.LinkCount);
            Assert.Equal(modified, info.ModifiedTime.UtcDateTime);
            Assert.True(!owned || (info.Uid, info.Gid) == (1234u, 5678u));
            Assert.True(!tagged || fs.GetXattr("/x/data.bin", "user.tag").SequenceEqual("red"u8.ToArray()));
        }

        Assert.Contains("0600", Tool.Run("vexctl", "-d", image, "stat", "/x/y/note.txt").Output, StringComparison.Ordinal);

        string back = Path.Combine(_directory.Path, "back");
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "get", "-r", "/x", back).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(tree, "x", "data.bin")), File.ReadAllBytes(Path.Combine(back, "data.bin")));
        Assert.Contains("l 777", Tool.Run("vexctl", "-d", image, "ls", "-l", "/").Output, StringComparison.Ordinal);
        Assert.Equal(1, Tool.Run("mkfs.vexfs", "-d", Path.Combine(_directory.Path, "nope"), _directory.File("other.img"), "64M").ExitCode);
    }

    [Fact]
    public void Extended_attributes_modes_and_owners_are_set_and_shown()
    {
        string image = _directory.File("attrs.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "32M").ExitCode);
        string local = _directory.File("f.txt");
        File.WriteAllText(local, "x");
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "put", local, "/f.txt").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "setfattr", "-n", "user.color", "-v", "blue", "/f.txt").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "setfattr", "-n", "user.raw", "-v", "0x00ff", "/f.txt").ExitCode);
        var get = Tool.Run("vexctl", "-d", image, "getfattr", "/f.txt");
        Assert.Equal(["user.color=\"blue\"", "user.raw=0x00ff"], get.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "setfattr", "-x", "user.raw", "/f.txt").ExitCode);
        var missing = Tool.Run("vexctl", "-d", image, "getfattr", "-n", "user.raw", "/f.txt");
        Assert.Equal(1, missing.ExitCode);
        Assert.Single(missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "chmod", "4750", "/f.txt").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "chown", "1000:100", "/f.txt").ExitCode);
        var stat = Tool.Run("vexctl", "-d", image, "stat", "/f.txt").Output;
        Assert.Contains("Access: 04750\tUid: 1000\tGid: 100", stat, StringComparison.Ordinal);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "chmod", "9x", "/f.txt").ExitCode);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "chown", "alice", "/f.txt").ExitCode);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
    }

    [Fact]
    public void Missing_paths_full_devices_and_corrupt_images_fail_with_one_line()
    {
        string image = _directory.File("small.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", "-b", "1024", image, "16M").ExitCode);
        var missing = Tool.Run("vexctl", "-d", image, "cat", "/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("vexctl: '/nope' does not exist.", missing.Error.Trim());

        string big = _directory.File("big.bin");
        File.WriteAllBytes(big, Patterns.Random(20_000_000, seed: 5));
        var full = Tool.Run("vexctl", "-d", image, "put", big, "/big.bin");
        Assert.Equal(1, full.ExitCode);
        Assert.Contains("No space left", full.Error, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);

        string garbage = _directory.File("garbage.img");
        File.WriteAllBytes(garbage, Patterns.Random(1 << 20, seed: 6));
        var corrupt = Tool.Run("vexctl", "-d", garbage, "ls", "/");
        Assert.Equal(1, corrupt.ExitCode);
        Assert.StartsWith("vexctl: Corrupt filesystem", corrupt.Error, StringComparison.Ordinal);
    }
}
