using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>No toy limits: sparse files far larger than memory (dense ones are in <see cref="DeviceSuiteTests"/>).</summary>
public sealed class LargeFileTests
{
    [Fact]
    public void A_multi_gigabyte_sparse_file_reads_back_its_data_and_its_holes()
    {
        var device = new MemoryBlockDevice(64L << 30);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            using var stream = fs.OpenFile("/sparse", FileMode.Create);
            var marks = new[] { 0L, 1L << 30, 5L << 30, (40L << 30) - 4096 };
            foreach (long at in marks)
            {
                stream.Position = at;
                stream.Write(Patterns.Filled(4096, (byte)(at >> 30 | 1)));
            }

            Assert.Equal(40L << 30, stream.Length);
            var hole = new byte[8192];
            stream.Position = 3L << 30;
            stream.ReadExactly(hole);
            Assert.All(hole, b => Assert.Equal(0, b));
            stream.Position = 5L << 30;
            stream.ReadExactly(hole.AsSpan(0, 4096));
            Assert.All(hole.AsSpan(0, 4096).ToArray(), b => Assert.Equal(5 | 1, b));
            Assert.InRange(fs.GetInfo("/sparse").Blocks, 4, 6);
        }

        Assert.True(device.AllocatedBytes < 256L << 20, $"{device.AllocatedBytes} bytes allocated");
        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }
}

/// <summary>Preallocation (fallocate): zeros until written, no disk-full later, size kept or grown.</summary>
public sealed class PreallocationTests
{
    [Fact]
    public void Preallocated_space_reads_as_zeros_takes_writes_and_checks_clean()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var data = Patterns.Random(10_000, seed: 5);
        using (var fs = VexFileSystem.Format(device, new Format.FormatOptions { BlockSize = 1024 }, leaveOpen: true))
        {
            long free = fs.GetSpaceInfo().FreeBlocks;
            using var stream = fs.OpenFile("/pre", FileMode.CreateNew);
            stream.Allocate(0, 4 << 20);
            Assert.Equal(4 << 20, stream.Length);
            Assert.True(free - fs.GetSpaceInfo().FreeBlocks >= 4096);
            var back = new byte[8192];
            stream.Position = 1 << 20;
            stream.ReadExactly(back);
            Assert.All(back, b => Assert.Equal(0, b));

            stream.Position = 123_456;
            stream.Write(data);
            stream.Position = 123_456 - 500;
            var around = new byte[data.Length + 1000];
            stream.ReadExactly(around);
            Assert.All(around[..500], b => Assert.Equal(0, b));
            Assert.Equal(data, around[500..^500]);
            Assert.All(around[^500..], b => Assert.Equal(0, b));

            stream.Allocate(4 << 20, 1 << 20, keepSize: true);
            Assert.Equal(4 << 20, stream.Length);
            stream.SetLength(5 << 20);
            stream.Position = (4 << 20) + 100;
            stream.ReadExactly(back);
            Assert.All(back, b => Assert.Equal(0, b));
            stream.SetLength(200_000);
            stream.SetLength(300_000);
            stream.Position = 199_000;
            stream.ReadExactly(back);
            Assert.All(back.AsSpan(1000).ToArray(), b => Assert.Equal(0, b));
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join("; ", report.Findings));
    }

    [Fact]
    public void Preallocating_more_than_the_free_space_fails_and_allocates_nothing()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        using var stream = fs.OpenFile("/big", FileMode.CreateNew);
        long free = fs.GetSpaceInfo().FreeBlocks;
        Assert.Throws<FileSystemFullException>(() => stream.Allocate(0, 64L << 20));
        Assert.Equal(free, fs.GetSpaceInfo().FreeBlocks);
        Assert.Equal(0, stream.Length);
    }
}
