using System.Buffers.Binary;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Vectors;

namespace VexFs.Tools.Tests;

/// <summary>fsck.vexfs -y drops a damaged saved index and builds it again from the rows, saying so.</summary>
public sealed class FsckIndexRebuildTests : IDisposable
{
    private const int Dimension = 8;
    private const int Files = 300;
    private const int BlockSize = 4096;

    /// <summary>"VXPG", the magic of a saved index's data page.</summary>
    private const uint DataPageMagic = 0x47505856;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_damaged_index_is_rebuilt_from_the_rows_and_saved()
    {
        string image = _directory.File("index.img");
        var random = new Random(12);
        var vectors = new Dictionary<string, float[]>();
        using (var fs = VexFileSystem.Format(ImageFileDevice.Create(image, 64L << 20)))
        {
            fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
            for (int i = 0; i < Files; i++)
            {
                string path = $"/f{i}";
                using (var stream = fs.OpenFile(path, FileMode.CreateNew))
                {
                    stream.WriteByte((byte)i);
                }

                vectors[path] = [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble())];
                fs.SetVector(path, "v", vectors[path]);
            }

            Assert.True(fs.SaveVectorIndexes());
        }

        var verified = Tool.Run("fsck.vexfs", "-f", "-n", "-v", image);
        Assert.True(verified.ExitCode == 0, verified.Output);
        Assert.Contains("1 saved vector indexes verified", verified.Output, StringComparison.Ordinal);

        DamageDataPage(image);
        Assert.Equal(4, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);

        var repaired = Tool.Run("fsck.vexfs", "-f", "-y", image);
        Assert.True(repaired.ExitCode == 1, repaired.Output + repaired.Error);
        Assert.Contains("index dropped", repaired.Output, StringComparison.Ordinal);
        Assert.Contains($"space 'v': search index rebuilt from {Files} vectors and saved (generation 2)", repaired.Output, StringComparison.Ordinal);

        var after = Tool.Run("fsck.vexfs", "-f", "-n", "-v", image);
        Assert.True(after.ExitCode == 0, after.Output);
        Assert.Contains("1 saved vector indexes verified", after.Output, StringComparison.Ordinal);

        // The rebuilt index is the one an open loads, and it finds every file's own vector first.
        using var reopened = VexFileSystem.Open(BlockDevice.Open(image, readOnly: true), new VexFileSystemOptions { ReadOnly = true });
        var space = Assert.Single(reopened.GetVectorSpaces());
        Assert.True(space.IndexLoaded);
        Assert.Equal((Files, 0L), (space.Count, space.UnsavedChanges));
        foreach (var (path, vector) in vectors)
        {
            Assert.Equal(path, reopened.Search("/", "v", vector, 1)[0].Path);
        }
    }

    /// <summary>Flips a payload byte of the first block that holds an index data page.</summary>
    private static void DamageDataPage(string image)
    {
        using var file = new FileStream(image, FileMode.Open, FileAccess.ReadWrite);
        var block = new byte[BlockSize];
        for (long offset = 0; offset < file.Length; offset += BlockSize)
        {
            file.Position = offset;
            file.ReadExactly(block);
            if (BinaryPrimitives.ReadUInt32LittleEndian(block) == DataPageMagic)
            {
                block[0x40] ^= 0xFF;
                file.Position = offset;
                file.Write(block);
                return;
            }
        }

        Assert.Fail("no index data page found in the image");
    }
}
