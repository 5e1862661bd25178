using System.Diagnostics;
using VexFs.BlockDevices;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>
/// Sizes that toy filesystems fail at: a directory of 100,000 entries, many small files, a million inodes.
/// </summary>
public sealed class ScaleTests(ITestOutputHelper output) : IDisposable
{
    private readonly DeviceKinds _kinds = new();

    public static TheoryData<string> Kinds => DeviceKinds.All;

    public void Dispose() => _kinds.Dispose();

    [Fact]
    public void A_directory_of_100000_entries_is_created_looked_up_listed_and_emptied()
    {
        const int Count = 100_000;
        using var device = new MemoryBlockDevice(2L << 30);
        var clock = Stopwatch.StartNew();
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            var dir = fs.CreateDirectory(fs.RootInode, "big");
            var inodes = new long[Count];
            for (int i = 0; i < Count; i++)
            {
                inodes[i] = fs.CreateFile(dir.Inode, Name(i)).Inode;
            }

            output.WriteLine($"created {Count} in {clock.Elapsed}");
            clock.Restart();
            var random = new Random(1);
            for (int i = 0; i < 10_000; i++)
            {
                int n = random.Next(Count);
                var found = fs.Lookup(dir.Inode, Name(n));
                Assert.Equal((inodes[n], UnixFileType.RegularFile), (found.Inode, found.Type));
            }

            Assert.Throws<FileNotFoundException>(() => fs.Lookup(dir.Inode, "absent"));
            output.WriteLine($"10000 lookups in {clock.Elapsed}");
            clock.Restart();
            Assert.Equal(Count, fs.EnumerateEntries("/big").Count());
            output.WriteLine($"listed in {clock.Elapsed}");
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join("; ", report.Findings));

        // Fast lookup, counted rather than timed: with no block or name cache, a lookup in the 100,000-entry
        // directory reads the directory's inode, its index path to one leaf (depth + 2 blocks, depth at most
        // 3) and the found file's inode: 7 device reads at most, however large the directory.
        using (var counting = new FaultInjectingDevice(device, leaveOpen: true))
        using (var fs = VexFileSystem.Open(counting, new VexFileSystemOptions { BlockCacheBytes = 0, NameCacheEntries = 0 }, leaveOpen: true))
        {
            long dir = fs.Lookup(fs.RootInode, "big").Inode;
            var random = new Random(2);
            long before = counting.OperationCount;
            for (int i = 0; i < 1000; i++)
            {
                Assert.True(fs.Lookup(dir, Name(random.Next(Count))).Inode > 0);
            }

            double perLookup = (counting.OperationCount - before) / 1000.0;
            output.WriteLine($"{perLookup:F2} device reads per uncached lookup");
            Assert.True(perLookup <= 7, $"{perLookup:F2} device reads per uncached lookup");
        }

        clock.Restart();
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            fs.DeleteDirectory("/big", recursive: true);
            output.WriteLine($"deleted in {clock.Elapsed}");
            Assert.False(fs.Exists("/big"));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ten_thousand_small_files_are_created_verified_and_deleted(string kind)
    {
        using var device = _kinds.Create(kind, 512L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            for (int d = 0; d < 100; d++)
            {
                fs.CreateDirectory($"/d{d}");
            }

            for (int i = 0; i < 10_000; i++)
            {
                using var stream = fs.OpenFile($"/d{i % 100}/{i}.txt", FileMode.CreateNew);
                stream.Write(Content(i));
            }

            fs.Flush();
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            for (int i = 0; i < 10_000; i++)
            {
                string path = $"/d{i % 100}/{i}.txt";
                using (var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read))
                {
                    var back = new byte[stream.Length];
                    stream.ReadExactly(back);
                    Assert.Equal(Content(i), back);
                }

                fs.Delete(path);
            }

            Assert.All(fs.EnumerateEntries("/"), e => Assert.Empty(fs.EnumerateEntries("/" + e.Name)));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void A_million_inodes_fit_a_large_enough_device()
    {
        const int Count = 1_000_000;
        using var device = new MemoryBlockDevice(32L << 30);
        var clock = Stopwatch.StartNew();
        using (var fs = VexFileSystem.Format(device, new FormatOptions { InodeCount = Count + 1000 }, leaveOpen: true))
        {
            for (int d = 0; d < 1000; d++)
            {
                var dir = fs.CreateDirectory(fs.RootInode, $"d{d}");
                for (int i = 0; i < (Count / 1000) - 1; i++)
                {
                    fs.CreateFile(dir.Inode, Name(i));
                }
            }

            var space = fs.GetSpaceInfo();
            output.WriteLine($"{space.TotalInodes - space.FreeInodes} inodes in use after {clock.Elapsed}");
            Assert.True(space.TotalInodes - space.FreeInodes >= Count);
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join("; ", report.Findings));
        output.WriteLine($"checked after {clock.Elapsed}");
    }

    [Fact]
    public void A_tree_300_directories_deep_resolves_moves_and_checks_clean()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        string deep = string.Concat(Enumerable.Range(0, 300).Select(i => $"/level{i}"));
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateDirectory(deep);
            using (var stream = fs.OpenFile(deep + "/leaf.txt", FileMode.CreateNew))
            {
                stream.Write("bottom"u8);
            }

            Assert.Equal(6, fs.GetInfo(deep + "/leaf.txt").Size);
            Refusals.AssertKind(VexErrorKind.InvalidArgument, () => fs.Move("/level0", deep + "/inside"));
            fs.Move("/level0/level1", "/moved");
            Assert.Equal(6, fs.GetInfo("/moved" + deep["/level0/level1".Length..] + "/leaf.txt").Size);
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join("; ", report.Findings));
    }

    private static string Name(int i) => $"entry-{i:D7}.dat";

    private static byte[] Content(int i) => System.Text.Encoding.UTF8.GetBytes($"file {i} " + new string('x', i % 3000));
}
