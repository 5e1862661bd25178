using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>The inode-number interface a FUSE host uses, and attributes set through it.</summary>
public sealed class InodeApiTests
{
    [Fact]
    public void Lookup_create_read_write_rename_and_unlink_by_inode()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            var dir = fs.CreateDirectory(fs.RootInode, "docs", 0x1C0, uid: 1000, gid: 100);
            Assert.Equal(UnixFileType.Directory, dir.Type);
            Assert.Equal((1000u, 100u, 0x1C0), (dir.Uid, dir.Gid, dir.Permissions));

            var file = fs.CreateFile(dir.Inode, "a.txt", 0x180, uid: 1000, gid: 100);
            fs.Write(file.Inode, 5000, "hello"u8);
            Assert.Equal(5005, fs.GetInfo(file.Inode).Size);
            var back = new byte[5005];
            Assert.Equal(5005, fs.Read(file.Inode, 0, back));
            Assert.All(back[..5000], b => Assert.Equal(0, b));
            Assert.Equal("hello"u8.ToArray(), back[5000..]);
            Assert.Equal(0, fs.Read(file.Inode, 5005, back));

            Assert.Equal(file.Inode, fs.Lookup(dir.Inode, "a.txt").Inode);
            Assert.Throws<FileNotFoundException>(() => fs.Lookup(dir.Inode, "missing"));
            Assert.Throws<DirectoryNotFoundException>(() => fs.Lookup(file.Inode, "x"));

            var link = fs.CreateHardLink(fs.RootInode, "alias", file.Inode);
            Assert.Equal(2, link.LinkCount);
            fs.Rename(dir.Inode, "a.txt", fs.RootInode, "b.txt");
            Assert.Equal(file.Inode, fs.GetInfo("/b.txt").Inode);
            Refusals.AssertKind(VexErrorKind.AlreadyExists, () => fs.Rename(fs.RootInode, "b.txt", fs.RootInode, "alias", overwrite: false));
            fs.Unlink(fs.RootInode, "alias");
            Assert.Equal(1, fs.GetInfo(file.Inode).LinkCount);
            Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.Unlink(fs.RootInode, "docs"));
            fs.RemoveDirectory(fs.RootInode, "docs");
            Assert.Throws<FileNotFoundException>(() => fs.GetInfo(dir.Inode));

            var link2 = fs.CreateSymbolicLink(fs.RootInode, "ln", "b.txt");
            Assert.Equal("b.txt", fs.ReadLink(link2.Inode));
            fs.SetLength(file.Inode, 3);
            Assert.Equal(3, fs.GetInfo("/b.txt").Size);
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void Try_lookup_and_try_get_xattr_answer_null_where_lookup_and_get_xattr_throw()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(32L << 20));
        var dir = fs.CreateDirectory(fs.RootInode, "docs", 0x1ED, uid: 0, gid: 0);
        var file = fs.CreateFile(dir.Inode, "a", 0x1A4, uid: 0, gid: 0);
        fs.SetXattr(file.Inode, "user.k", [1, 2, 3]);

        Assert.Equal(fs.Lookup(dir.Inode, "a"), fs.TryLookup(dir.Inode, "a"));
        Assert.Throws<FileNotFoundException>(() => fs.Lookup(dir.Inode, "b"));
        Assert.Null(fs.TryLookup(dir.Inode, "b"));
        Assert.Equal(VexErrorKind.NotADirectory, VexErrors.KindOf(Record.Exception(() => fs.TryLookup(file.Inode, "a"))!));
        Assert.Throws<ArgumentException>(() => fs.TryLookup(dir.Inode, "x/y"));

        Assert.Equal(new byte[] { 1, 2, 3 }, fs.TryGetXattr(file.Inode, "user.k"));
        Assert.Throws<KeyNotFoundException>(() => fs.GetXattr(file.Inode, "security.capability"));
        Assert.Null(fs.TryGetXattr(file.Inode, "security.capability"));
        Assert.Null(fs.TryGetXattr(file.Inode, VexFileSystem.VectorXattrPrefix + "missing"));
    }

    [Fact]
    public void Exchange_swaps_two_names_across_directories_and_keeps_parents_and_link_counts_right()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            var a = fs.CreateDirectory(fs.RootInode, "a");
            var b = fs.CreateDirectory(fs.RootInode, "b");
            var sub = fs.CreateDirectory(a.Inode, "sub");
            var file = fs.CreateFile(b.Inode, "file");
            Assert.Equal(a.Inode, fs.ParentOf(sub.Inode));
            Assert.Equal(fs.RootInode, fs.ParentOf(fs.RootInode));

            fs.Exchange(a.Inode, "sub", b.Inode, "file");
            Assert.Equal(file.Inode, fs.Lookup(a.Inode, "sub").Inode);
            Assert.Equal(sub.Inode, fs.Lookup(b.Inode, "file").Inode);
            Assert.Equal(b.Inode, fs.ParentOf(sub.Inode));
            Assert.Equal((2, 3), (fs.GetInfo(a.Inode).LinkCount, fs.GetInfo(b.Inode).LinkCount));

            Refusals.AssertKind(VexErrorKind.NotFound, () => fs.Exchange(a.Inode, "sub", b.Inode, "missing"));
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.Exchange(fs.RootInode, "b", b.Inode, "file"));
            Refusals.AssertKind(VexErrorKind.NotADirectory, () => fs.ParentOf(file.Inode));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void Next_data_and_next_hole_follow_the_written_extents()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(32L << 20));
        long file = fs.CreateFile(fs.RootInode, "sparse").Inode;
        // Data in [0, 8 KiB) and [1 MiB, 1 MiB + 100), preallocated but unwritten [2 MiB, 3 MiB), size 4 MiB.
        fs.Write(file, 0, new byte[8192]);
        fs.Write(file, 1 << 20, new byte[100]);
        fs.Allocate(file, 2 << 20, 1 << 20);
        fs.SetLength(file, 4 << 20);

        Assert.Equal(0, fs.NextData(file, 0));
        Assert.Equal(100, fs.NextData(file, 100));
        Assert.Equal(1 << 20, fs.NextData(file, 8192));
        Assert.Null(fs.NextData(file, (1 << 20) + 4096));
        Assert.Equal(8192, fs.NextHole(file, 0));
        Assert.Equal(9000, fs.NextHole(file, 9000));
        Assert.Equal((1 << 20) + 4096, fs.NextHole(file, 1 << 20));
        Assert.Equal(2 << 20, fs.NextHole(file, 2 << 20));
        Assert.Equal(4 << 20, fs.NextHole(file, 4 << 20));
        Refusals.AssertKind(VexErrorKind.IsADirectory, () => fs.NextData(fs.RootInode, 0));
    }

    [Fact]
    public void Set_info_changes_mode_owner_and_times_and_they_persist()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        var modified = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
        var accessed = new DateTimeOffset(2021, 6, 7, 8, 9, 10, TimeSpan.Zero);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.OpenFile("/f", FileMode.CreateNew).Dispose();
            var before = fs.GetInfo("/f");
            var after = fs.SetInfo("/f", new VexInfoChange { Permissions = 0x9ED, Uid = 42, Gid = 43, ModifiedTime = modified, AccessedTime = accessed });
            Assert.Equal((0x9ED, 42u, 43u, modified, accessed), (after.Permissions, after.Uid, after.Gid, after.ModifiedTime, after.AccessedTime));
            Assert.True(after.ChangedTime >= before.ChangedTime);
            Assert.Equal(UnixFileType.RegularFile, after.Type);
            Assert.Throws<ArgumentOutOfRangeException>(() => fs.SetInfo("/f", new VexInfoChange { Permissions = 0x1000 }));
            Assert.Throws<FileNotFoundException>(() => fs.SetInfo("/missing", new VexInfoChange { Uid = 1 }));
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            var info = fs.GetInfo("/f");
            Assert.Equal((0x9ED, 42u, 43u, modified, accessed), (info.Permissions, info.Uid, info.Gid, info.ModifiedTime, info.AccessedTime));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void Read_directory_pages_return_every_entry_once_even_while_the_directory_changes()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(64L << 20), new Format.FormatOptions { BlockSize = 1024 });
        var dir = fs.CreateDirectory(fs.RootInode, "d");
        for (int i = 0; i < 3000; i++)
        {
            fs.CreateFile(dir.Inode, $"file-{i:D5}");
        }

        var seen = new List<string>();
        long cookie = 0;
        int pages = 0;
        while (true)
        {
            var page = fs.ReadDirectory(dir.Inode, cookie, 100);
            if (page.Count == 0)
            {
                break;
            }

            seen.AddRange(page.Select(e => e.Name));
            cookie = page[^1].NextCookie;
            pages++;

            // Changes between pages: new names may or may not appear; names that stay appear once.
            fs.CreateFile(dir.Inode, $"new-{pages}");
            fs.Unlink(dir.Inode, $"new-{pages}");
        }

        Assert.True(pages >= 30);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"file-{i:D5}").Order(), seen.Where(n => n.StartsWith("file-", StringComparison.Ordinal)).Order());
        Assert.Equal(fs.EnumerateEntries("/d").Select(e => e.Name).Order(), seen.Order());
        Assert.Empty(fs.ReadDirectory(dir.Inode, cookie, 100));
    }

    [Fact]
    public async Task Open_async_replays_and_opens()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateDirectory("/async");
        }

        await using var again = await VexFileSystem.OpenAsync(device, leaveOpen: true, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(again.Exists("/async"));
    }

    [Fact]
    public void A_read_only_open_caches_reads_and_refuses_changes()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateDirectory("/a/b");
        }

        using var ro = VexFileSystem.Open(device, new VexFileSystemOptions { ReadOnly = true }, leaveOpen: true);
        Assert.True(ro.IsReadOnly);
        Assert.Equal(UnixFileType.Directory, ro.GetInfo("/a/b").Type);
        Assert.Throws<NotSupportedException>(() => ro.CreateDirectory("/c"));
        Assert.Throws<NotSupportedException>(() => ro.SetXattr("/a", "user.x", [1]));
    }

    [Fact]
    public void File_share_modes_are_enforced_between_streams()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        using (var exclusive = fs.OpenFile("/locked", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            Refusals.AssertKind(VexErrorKind.Busy, () => fs.OpenFile("/locked", FileMode.Open, FileAccess.Read));
            Refusals.AssertKind(VexErrorKind.Busy, () => fs.OpenFile(exclusive.Inode, FileAccess.Read));
            exclusive.Write("kept"u8);
            Refusals.AssertKind(VexErrorKind.Busy, () => fs.OpenFile("/locked", FileMode.Create));
            Assert.Equal(4, fs.GetInfo("/locked").Size);
        }

        using var reader = fs.OpenFile("/locked", FileMode.Open, FileAccess.Read, FileShare.Read);
        using var second = fs.OpenFile("/locked", FileMode.Open, FileAccess.Read, FileShare.Read);
        Refusals.AssertKind(VexErrorKind.Busy, () => fs.OpenFile("/locked", FileMode.Open, FileAccess.Write, FileShare.ReadWrite));
        Refusals.AssertKind(VexErrorKind.Busy, () => fs.OpenFile("/locked", FileMode.Open, FileAccess.Read, FileShare.None));
        reader.Dispose();
        second.Dispose();
        using var writer = fs.OpenFile("/locked", FileMode.Open, FileAccess.Write, FileShare.Read);
        Refusals.AssertKind(VexErrorKind.Busy, () => fs.OpenFile("/locked", FileMode.Open, FileAccess.Read, FileShare.Read));
        using var sharingReader = fs.OpenFile("/locked", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    }
}
