using VexFs.BlockDevices;
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
