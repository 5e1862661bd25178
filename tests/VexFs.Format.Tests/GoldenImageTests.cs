using System.IO.Compression;
using System.Text;
using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Format.Tests;

/// <summary>
/// Images made by our own mkfs, checked in compressed, with the fsck report expected of each: any change to
/// what mkfs writes or to how fsck reads it shows up here. Set VEXFS_UPDATE_GOLDEN=1 to rewrite them after a
/// deliberate format change (and bump the format version). one-group-v1.0.img.gz is the 64 MiB one-group image
/// version 1.0 wrote (before the tail copy), kept to prove that older images still read and take writes.
/// </summary>
public sealed class GoldenImageTests
{
    public static TheoryData<string, long, FormatOptions> Images => new()
    {
        { "small-1k", 16L << 20, Options(1024) },
        { "vectors-4k", 64L << 20, Options(4096) with { VectorSpaces = [new VectorSpaceDefinition("text", 384, VectorMetric.Cosine), new VectorSpaceDefinition("image", 512)] } },
        { "wide-64k", 96L << 20, Options(65536) with { InodeSize = 1024, JournalSize = 4L << 20 } },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Mkfs_writes_the_golden_image_and_fsck_reads_it_clean(string name, long size, FormatOptions options)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Golden");
        string imagePath = Path.Combine(directory, name + ".img.gz");
        string reportPath = Path.Combine(directory, name + ".fsck.txt");

        using var made = new MemoryBlockDevice(size);
        Formatter.Format(made, options);
        string report = Describe(FileSystemChecker.Check(made, new CheckOptions { Force = true }));

        if (Environment.GetEnvironmentVariable("VEXFS_UPDATE_GOLDEN") == "1")
        {
            string source = Path.Combine(SourceDirectory(), "Golden");
            WriteCompressed(made, Path.Combine(source, name + ".img.gz"));
            File.WriteAllText(Path.Combine(source, name + ".fsck.txt"), report);
            return;
        }

        using var golden = ReadCompressed(imagePath, size);
        Assert.True(made.ContentEquals(golden), $"mkfs no longer writes {name}.img byte for byte: the on-disk format drifted");
        Assert.Equal(File.ReadAllText(reportPath), Describe(FileSystemChecker.Check(golden, new CheckOptions { Force = true })));
        Assert.Equal(File.ReadAllText(reportPath), report);
    }

    private static FormatOptions Options(int blockSize) => new()
    {
        BlockSize = blockSize,
        Label = "golden",
        Uuid = Guid.Parse("6f9619ff-8b86-4011-b42d-00c04fc964ff"),
        Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
    };

    private static string Describe(CheckReport report) =>
        new StringBuilder()
            .AppendLine($"exit {report.ExitCode}")
            .AppendLine($"inodes {report.InodesUsed}/{report.InodeCount}")
            .AppendLine($"blocks {report.BlocksUsed}/{report.BlockCount}")
            .AppendLine($"directories {report.Directories}, files {report.Files}")
            .AppendJoin(Environment.NewLine, report.Findings)
            .ToString();

    private static void WriteCompressed(MemoryBlockDevice device, string path)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < device.Length; offset += buffer.Length)
        {
            device.Read(offset, buffer);
            gzip.Write(buffer);
        }
    }

    internal static MemoryBlockDevice ReadCompressed(string path, long size)
    {
        var device = new MemoryBlockDevice(size);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            gzip.ReadExactly(buffer);
            if (buffer.AsSpan().ContainsAnyExcept((byte)0))
            {
                device.Write(offset, buffer);
            }
        }

        return device;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
