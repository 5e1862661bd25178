using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

public sealed class FileSystemApiTests
{
    private static void AssertClean(BlockDevice device)
    {
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
    }

    [Fact]
    public void Files_and_directories_round_trip_and_the_unmounted_image_checks_clean()
    {
        var device = new MemoryBlockDevice(64L << 20);
        var content = Patterns.Random(100_000, seed: 1);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateDirectory("/photos/2026");
            using (var stream = fs.OpenFile("/photos/2026/a.bin", FileMode.CreateNew))
            {
                stream.Write(content);
            }

            fs.CreateHardLink("/photos/alias.bin", "/photos/2026/a.bin");
            fs.Move("/photos/alias.bin", "/photos/2026/a.bin", overwrite: true);
            Assert.True(fs.Exists("/photos/alias.bin"), "a move onto another name of the same file keeps both names, as rename(2) does");
            fs.CreateSymbolicLink("/latest", "/photos/2026/a.bin");
            fs.Move("/photos/2026", "/photos/2025");
            Assert.Equal(["2025", "alias.bin"], fs.EnumerateEntries("/photos").Select(e => e.Name).Order());
            Assert.Equal(content.Length, fs.EnumerateEntries("/photos").Single(e => e.Name == "alias.bin").Size);
            Assert.Equal("/photos/2026/a.bin", fs.ReadLink("/latest"));
            Assert.Equal(2, fs.GetInfo("/photos/alias.bin").LinkCount);
        }

        AssertClean(device);
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            using var stream = fs.OpenFile("/photos/2025/a.bin", FileMode.Open, FileAccess.Read);
            var back = new byte[content.Length];
            stream.ReadExactly(back);
            Assert.Equal(content, back);
            Assert.Equal(0, stream.Read(new byte[10]));
            fs.Delete("/photos/alias.bin");
            fs.DeleteDirectory("/photos", recursive: true);
            Assert.False(fs.Exists("/photos"));
        }

        AssertClean(device);
        device.Dispose();
    }

    [Fact]
    public void Streams_seek_truncate_and_append()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(32L << 20));
        using (var stream = fs.OpenFile("/f", FileMode.Create))
        {
            stream.Write(Patterns.Filled(10_000, 7));
            stream.Position = 20_000;
            stream.Write(Patterns.Filled(10, 9));
            Assert.Equal(20_010, stream.Length);
            stream.SetLength(5_000);
            Assert.Equal(5_000, stream.Length);
        }

        using (var append = fs.OpenFile("/f", FileMode.Append, FileAccess.Write))
        {
            append.Write(Patterns.Filled(100, 3));
        }

        using var read = fs.OpenFile("/f", FileMode.Open, FileAccess.Read);
        var all = new byte[5_100];
        read.ReadExactly(all);
        Assert.All(all.AsSpan(0, 5_000).ToArray(), b => Assert.Equal(7, b));
        Assert.All(all.AsSpan(5_000).ToArray(), b => Assert.Equal(3, b));
        Assert.Throws<NotSupportedException>(() => read.Write(new byte[1]));
    }

    [Fact]
    public void Bad_requests_get_clear_errors_and_change_nothing()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(32L << 20));
        fs.CreateDirectory("/d");
        Assert.Throws<ArgumentException>(() => fs.CreateDirectory("relative"));
        Assert.Throws<ArgumentException>(() => fs.OpenFile("/" + new string('x', 256), FileMode.Create));
        Assert.Throws<FileNotFoundException>(() => fs.OpenFile("/missing", FileMode.Open));
        Assert.Throws<DirectoryNotFoundException>(() => fs.OpenFile("/nope/file", FileMode.Create));
        Assert.Throws<UnauthorizedAccessException>(() => fs.OpenFile("/d", FileMode.Create));
        fs.OpenFile("/d/x", FileMode.CreateNew).Dispose();
        Refusals.AssertKind(VexErrorKind.AlreadyExists, () => fs.OpenFile("/d/x", FileMode.CreateNew));
        Refusals.AssertKind(VexErrorKind.NotEmpty, () => fs.DeleteDirectory("/d"));
        Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.Move("/d", "/d/inside"));
        Refusals.AssertKind(VexErrorKind.AlreadyExists, () => fs.Move("/d/x", "/d"));
        Assert.Equal(["d", "lost+found"], fs.EnumerateEntries("/").Select(e => e.Name).Order());
    }

    [Fact]
    public void A_full_device_raises_disk_full_and_stays_usable()
    {
        var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, new FormatOptions { BlockSize = 1024 }, leaveOpen: true))
        {
            var chunk = Patterns.Random(1 << 20, seed: 2);
            Assert.True(FillUntilFull(fs, chunk) > 5);
            fs.Delete("/big0");
            fs.Flush();
            using var again = fs.OpenFile("/again", FileMode.Create);
            again.Write(chunk.AsSpan(0, 100_000));
        }

        AssertClean(device);
        device.Dispose();
    }

    [Fact]
    public void Space_freed_by_operations_not_yet_committed_is_used_once_a_write_would_fail_without_it()
    {
        var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, new FormatOptions { BlockSize = 1024 }, leaveOpen: true))
        {
            var chunk = Patterns.Random(1 << 20, seed: 3);
            FillUntilFull(fs, chunk);
            fs.Flush();

            // The frees are not committed when the next write needs their blocks: it commits them and goes on.
            fs.Delete("/big0");
            fs.Delete("/big1");
            using (var again = fs.OpenFile("/again", FileMode.Create))
            {
                again.Write(chunk);
            }

            using var back = fs.OpenFile("/again", FileMode.Open, FileAccess.Read);
            var read = new byte[chunk.Length];
            back.ReadExactly(read);
            Assert.Equal(chunk, read);
        }

        AssertClean(device);
        device.Dispose();
    }

    /// <summary>Writes files /big0, /big1, ... of <paramref name="chunk"/> until the filesystem is full; returns how many were whole.</summary>
    private static int FillUntilFull(VexFileSystem fs, byte[] chunk)
    {
        int written = 0;
        Assert.Throws<FileSystemFullException>(void () =>
        {
            for (; ; written++)
            {
                using var stream = fs.OpenFile($"/big{written}", FileMode.Create);
                stream.Write(chunk);
            }
        });
        return written;
    }

    [Fact]
    public void Space_info_is_exact()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(64L << 20));
        var before = fs.GetSpaceInfo();
        using (var stream = fs.OpenFile("/f", FileMode.Create))
        {
            stream.Write(new byte[4096 * 10]);
        }

        var after = fs.GetSpaceInfo();
        Assert.Equal(before.FreeBlocks - 10, after.FreeBlocks);
        Assert.Equal(before.FreeInodes - 1, after.FreeInodes);
        Assert.Equal(UnixFileType.RegularFile, fs.GetInfo("/f").Type);
    }
}
