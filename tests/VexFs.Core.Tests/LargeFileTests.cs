using System.Security.Cryptography;
using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>No toy limits: sparse files far larger than memory, dense files of hundreds of MiB.</summary>
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

    [Fact]
    public void A_dense_file_of_hundreds_of_megabytes_round_trips_with_its_checksum()
    {
        const int Chunk = 1 << 20;
        const int Chunks = 300;
        var device = new MemoryBlockDevice(1L << 30);
        using var writeHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var fs = VexFileSystem.Format(device, new FormatOptions(), leaveOpen: true))
        {
            using var stream = fs.OpenFile("/dense", FileMode.Create);
            var buffer = new byte[Chunk];
            for (int i = 0; i < Chunks; i++)
            {
                new Random(i).NextBytes(buffer);
                writeHash.AppendData(buffer);
                stream.Write(buffer);
            }
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using var reopened = VexFileSystem.Open(device, leaveOpen: true);
        using var read = reopened.OpenFile("/dense", FileMode.Open, FileAccess.Read);
        using var readHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[Chunk];
        for (int i = 0; i < Chunks; i++)
        {
            read.ReadExactly(chunk);
            readHash.AppendData(chunk);
        }

        Assert.Equal(writeHash.GetHashAndReset(), readHash.GetHashAndReset());
        Assert.True(reopened.GetInfo("/dense").Blocks < (Chunks * (long)Chunk / 4096) + 16, "a sequential file should need few extent-tree blocks");
    }
}
