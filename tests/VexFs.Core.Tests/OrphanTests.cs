using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>A file unlinked while open lives until its last close, or until the next open after a crash.</summary>
public sealed class OrphanTests
{
    [Fact]
    public void An_unlinked_open_file_stays_usable_and_is_freed_at_its_last_close()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            long free = fs.GetSpaceInfo().FreeBlocks;
            long freeInodes = fs.GetSpaceInfo().FreeInodes;
            var content = Patterns.Random(200_000, seed: 7);
            var first = fs.OpenFile("/tmp.bin", FileMode.CreateNew);
            first.Write(content);
            var second = fs.OpenFile(first.Inode, FileAccess.Read);
            fs.Delete("/tmp.bin");
            Assert.False(fs.Exists("/tmp.bin"));
            Assert.Equal(0, fs.GetInfo(first.Inode).LinkCount);

            first.Write(Patterns.Filled(100, 9));
            var back = new byte[content.Length];
            second.ReadExactly(back);
            Assert.Equal(content, back);
            fs.Flush();

            first.Dispose();
            Assert.Equal(0, fs.GetInfo(second.Inode).LinkCount);
            second.Dispose();
            Assert.Throws<FileNotFoundException>(() => fs.GetInfo(first.Inode));
            fs.Flush();
            Assert.Equal((free, freeInodes), (fs.GetSpaceInfo().FreeBlocks, fs.GetSpaceInfo().FreeInodes));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void Replacing_an_open_file_by_rename_keeps_the_old_one_readable()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        using (var s = fs.OpenFile("/config", FileMode.CreateNew))
        {
            s.Write("old"u8);
        }

        using var reader = fs.OpenFile("/config", FileMode.Open, FileAccess.Read);
        using (var s = fs.OpenFile("/config.new", FileMode.CreateNew))
        {
            s.Write("new!"u8);
        }

        fs.Move("/config.new", "/config", overwrite: true);
        var back = new byte[3];
        reader.ReadExactly(back);
        Assert.Equal("old"u8.ToArray(), back);
        Assert.Equal(4, fs.GetInfo("/config").Size);
    }

    [Fact]
    public void Orphans_left_by_a_crash_are_freed_at_the_next_open()
    {
        using var device = new CrashSimulatingDevice(16L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 256 << 10 });
        var fs = VexFileSystem.Open(device, leaveOpen: true);
        long free = fs.GetSpaceInfo().FreeBlocks;
        var stream = fs.OpenFile("/doomed", FileMode.CreateNew);
        stream.Write(Patterns.Random(50_000, seed: 1));
        fs.Delete("/doomed");
        fs.Flush();

        // Power cut with the orphan still open: only what was flushed reaches the image.
        using var image = device.CrashImage(CrashPlan.Prefix(0));
        using (var after = VexFileSystem.Open(image, leaveOpen: true))
        {
            Assert.Equal(free, after.GetSpaceInfo().FreeBlocks);
            Assert.False(after.Exists("/doomed"));
        }

        Assert.True(FileSystemChecker.Check(image, new CheckOptions { Force = true }).IsClean);
        GC.KeepAlive(stream);
    }

    [Fact]
    public void A_clean_unmount_frees_orphans_still_open()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        long free;
        VexFileStream stream;
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            free = fs.GetSpaceInfo().FreeBlocks;
            stream = fs.OpenFile("/x", FileMode.CreateNew);
            stream.Write(Patterns.Random(30_000, seed: 2));
            fs.Delete("/x");
        }

        stream.Dispose();
        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using var again = VexFileSystem.Open(device, leaveOpen: true);
        Assert.Equal(free, again.GetSpaceInfo().FreeBlocks);
    }
}
