using System.Globalization;

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
    public void Info_reports_the_health_of_the_filesystem_as_dumpe2fs_does()
    {
        string image = _directory.File("health.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", "-L", "pets", image, "32M").ExitCode);
        var fresh = Tool.Run("vexctl", "info", image);
        Assert.True(fresh.ExitCode == 0, fresh.Error);
        Assert.Contains("label 'pets'", fresh.Output, StringComparison.Ordinal);
        Assert.Contains("state:         clean\n", fresh.Output, StringComparison.Ordinal);
        Assert.Contains("mount count:   0 (no limit)", fresh.Output, StringComparison.Ordinal);
        Assert.Contains("needs fsck:    no", fresh.Output, StringComparison.Ordinal);

        // Each open for writing counts.
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "/a").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "/b").ExitCode);
        Assert.Contains("mount count:   2 (no limit)", Tool.Run("vexctl", "info", image).Output, StringComparison.Ordinal);

        string blank = _directory.File("blank.img");
        File.WriteAllBytes(blank, new byte[1 << 20]);
        var none = Tool.Run("vexctl", "info", blank);
        Assert.Equal(0, none.ExitCode);
        Assert.Contains("filesystem:    none (no VexFS superblock)", none.Output, StringComparison.Ordinal);
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
        HostFiles.MakeFifo(Path.Combine(tree, "x", "pipe"));
        bool device = HostFiles.TryMakeCharacterDevice(Path.Combine(tree, "x", "null"), 1, 3);
        string data = Path.Combine(tree, "x", "data.bin");
        HostFiles.Link(data, Path.Combine(tree, "data-again.bin"));
        var modified = new DateTime(2019, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(data, modified);
        bool owned = HostFiles.TryChown(data, 1234, 5678);
        bool tagged = HostFiles.TrySetXattr(data, "user.tag", "red"u8.ToArray());
        string image = _directory.File("populated.img");

        var mkfs = Tool.Run("mkfs.vexfs", "-d", tree, image, "64M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        Assert.Contains($"2 files, 2 directories, 1 symbolic links, 1 hard links, {(device ? 2 : 1)} device files, pipes and sockets", mkfs.Output, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
        using (var fs = Core.VexFileSystem.Open(BlockDevices.BlockDevice.Open(image, readOnly: true)))
        {
            var info = fs.GetInfo("/x/data.bin");
            Assert.Equal(info.Inode, fs.GetInfo("/data-again.bin").Inode);
            Assert.Equal(2, info.LinkCount);
            Assert.Equal(modified, info.ModifiedTime.UtcDateTime);
            Assert.True(!owned || (info.Uid, info.Gid) == (1234u, 5678u));
            Assert.True(!tagged || fs.GetXattr("/x/data.bin", "user.tag").SequenceEqual("red"u8.ToArray()));
            Assert.Equal(Format.Records.UnixFileType.Fifo, fs.GetInfo("/x/pipe").Type);
            Assert.True(!device || fs.GetInfo("/x/null") is { Type: Format.Records.UnixFileType.CharacterDevice, DeviceMajor: 1, DeviceMinor: 3 });
        }

        if (device)
        {
            Assert.Contains("Device type: 1,3", Tool.Run("vexctl", "-d", image, "stat", "/x/null").Output, StringComparison.Ordinal);
        }

        Assert.Contains("0600", Tool.Run("vexctl", "-d", image, "stat", "/x/y/note.txt").Output, StringComparison.Ordinal);

        string back = Path.Combine(_directory.Path, "back");
        var get = Tool.Run("vexctl", "-d", image, "get", "-r", "/x", back);
        Assert.Equal(0, get.ExitCode);
        Assert.Contains("skipped /x/pipe: a Fifo is not copied out", get.Error, StringComparison.Ordinal);

        // A pipe in a tree put into an image is made there, not read (which would wait for a writer).
        string again = _directory.File("again.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", again, "64M").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", again, "put", "-r", Path.Combine(tree, "x"), "/x").ExitCode);
        Assert.Contains(Tool.Run("vexctl", "-d", again, "ls", "-l", "/x").Output.Split('\n'), line => line.StartsWith('p') && line.EndsWith(" pipe", StringComparison.Ordinal));
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
    public void Mknod_makes_pipes_and_device_files_and_refuses_bad_arguments()
    {
        string image = _directory.File("nodes.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "32M").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mknod", "/pipe", "p").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mknod", "-m", "660", "/sda", "b", "8", "0").ExitCode);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "mknod", "/bad", "x").ExitCode);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "mknod", "/tty", "c").ExitCode);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "mknod", "/pipe2", "p", "1", "2").ExitCode);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "mknod", "/pipe", "p").ExitCode);
        var listing = Tool.Run("vexctl", "-d", image, "ls", "-l", "/").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(listing, line => line.StartsWith("p 644", StringComparison.Ordinal) && line.EndsWith(" pipe", StringComparison.Ordinal));
        Assert.Contains(listing, line => line.StartsWith("b 660", StringComparison.Ordinal) && line.EndsWith(" sda", StringComparison.Ordinal));
        Assert.Contains("Device type: 8,0", Tool.Run("vexctl", "-d", image, "stat", "/sda").Output, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
    }

    [Fact]
    public void Rm_r_refuses_the_root_and_removes_nothing()
    {
        string image = _directory.File("root.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "64M").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "-p", "/a/./b/..").ExitCode);
        Assert.Equal(["b"], Tool.Run("vexctl", "-d", image, "ls", "/a").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        foreach (string root in new[] { "/", "/a/..", "//" })
        {
            var rm = Tool.Run("vexctl", "-d", image, "rm", "-r", root);
            Assert.Equal(1, rm.ExitCode);
            Assert.Equal($"vexctl: refusing to remove '{root}': it is the root directory (remove what is in it instead).", rm.Error.Trim());
        }

        Assert.Equal(["a", "lost+found"], Tool.Run("vexctl", "-d", image, "ls", "/").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
    }

    [Fact]
    public void Mkdir_makes_parents_only_with_p_and_df_counts_what_it_made()
    {
        string image = _directory.File("dirs.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", image, "64M").ExitCode);
        long FreeInodes() => long.Parse(Tool.Run("vexctl", "-d", image, "df").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);
        long before = FreeInodes();

        var noParent = Tool.Run("vexctl", "-d", image, "mkdir", "/a/b");
        Assert.Equal(1, noParent.ExitCode);
        Assert.Equal("vexctl: '/a' does not exist (use -p).", noParent.Error.Trim());
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "-p", "/a/b/c").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "-p", "/a/b/c").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "/a/d").ExitCode);
        Assert.Equal("vexctl: '/a' already exists.", Tool.Run("vexctl", "-d", image, "mkdir", "/a").Error.Trim());
        Assert.Equal(["b", "d"], Tool.Run("vexctl", "-d", image, "ls", "/a").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var df = Tool.Run("vexctl", "-d", image, "df").Output;
        Assert.StartsWith("Size", df, StringComparison.Ordinal);
        Assert.Contains("64 MiB", df, StringComparison.Ordinal);
        Assert.Equal(before - 4, FreeInodes());
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

        // mkfs -d with a tree larger than the device: one line, and a non-zero exit.
        string tree = Path.Combine(_directory.Path, "too-big");
        Directory.CreateDirectory(tree);
        File.Copy(big, Path.Combine(tree, "big.bin"));
        var mkfsFull = Tool.Run("mkfs.vexfs", "-q", "-b", "1024", "-d", tree, _directory.File("full.img"), "16M");
        Assert.Equal(1, mkfsFull.ExitCode);
        Assert.Single(mkfsFull.Error.Trim().Split('\n'));
        Assert.Contains("No space left", mkfsFull.Error, StringComparison.Ordinal);

        // A real image whose primary superblock is damaged: the library refuses it and names the record.
        File.WriteAllBytes(_directory.File("damaged.img"), File.ReadAllBytes(image));
        using (var damaged = File.OpenWrite(_directory.File("damaged.img")))
        {
            damaged.Position = 1024 + 40;
            damaged.Write(Patterns.Random(16, seed: 7));
        }

        var superblock = Tool.Run("vexctl", "-d", _directory.File("damaged.img"), "ls", "/");
        Assert.Equal(1, superblock.ExitCode);
        Assert.Single(superblock.Error.Trim().Split('\n'));
        Assert.StartsWith("vexctl: Corrupt filesystem", superblock.Error, StringComparison.Ordinal);
        Assert.Contains("superblock", superblock.Error, StringComparison.Ordinal);

        string garbage = _directory.File("garbage.img");
        File.WriteAllBytes(garbage, Patterns.Random(1 << 20, seed: 6));
        var corrupt = Tool.Run("vexctl", "-d", garbage, "ls", "/");
        Assert.Equal(1, corrupt.ExitCode);
        Assert.StartsWith("vexctl: Corrupt filesystem", corrupt.Error, StringComparison.Ordinal);
    }
}
