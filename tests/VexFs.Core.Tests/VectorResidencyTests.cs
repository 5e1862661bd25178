using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Quantization;

namespace VexFs.Core.Tests;

/// <summary>
/// Float vectors left on the device (<see cref="VectorResidency.Device"/>): the index keeps codes and the graph and
/// reads each search's final candidates from their rows. Judged against a model searched by brute force, through
/// saves, opens in either residency, a power cut, and fsck.
/// </summary>
public sealed class VectorResidencyTests
{
    private const int Dimension = 24;

    private static readonly HnswOptions Index = HnswOptions.Default with { M = 12, EfConstruction = 100, QuantizationTrainingSize = 256 };
    private static readonly VexFileSystemOptions OnDevice = new() { VectorIndex = Index, VectorResidency = VectorResidency.Device };
    private static readonly VexFileSystemOptions InMemory = new() { VectorIndex = Index };

    [Theory]
    [InlineData(VectorMetric.L2, VectorQuantization.ScalarInt8)]
    [InlineData(VectorMetric.Cosine, VectorQuantization.ScalarInt8)]
    [InlineData(VectorMetric.L2, VectorQuantization.Binary)]
    [InlineData(VectorMetric.Cosine, VectorQuantization.Binary)]
    [InlineData(VectorMetric.L2, VectorQuantization.FourBit)]
    public void Searches_read_the_floats_from_the_rows_through_saves_opens_and_a_power_cut(VectorMetric metric, VectorQuantization codes)
    {
        var index = Index with { Quantization = codes };
        var onDevice = new VexFileSystemOptions { VectorIndex = index, VectorResidency = VectorResidency.Device };
        var inMemory = new VexFileSystemOptions { VectorIndex = index };
        using var device = new MemoryBlockDevice(64L << 20);
        var random = new Random(33);
        var model = new Dictionary<string, float[]>();
        var queries = Enumerable.Range(0, 20).Select(_ => RandomVector(random)).ToArray();
        using (var fs = VexFileSystem.Format(device, options: onDevice, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, metric);
            for (int i = 0; i < 200; i++)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }

            Assert.False(fs.GetVectorSpaces()[0].FloatsOnDevice, "a space below the training size keeps its floats in memory");
            for (int i = 200; i < 700; i++)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }

            Assert.True(fs.GetVectorSpaces()[0].FloatsOnDevice);
            AssertAnswers(fs, model, metric, queries);
        }

        using (var fs = VexFileSystem.Open(device, onDevice, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.True(info.IndexLoaded && info.FloatsOnDevice, info.ToString());
            AssertAnswers(fs, model, metric, queries);
        }

        AssertClean(device, model.Count);

        // Opened with the floats in memory, the index saved without them is built from the rows, and saved with them.
        using (var fs = VexFileSystem.Open(device, inMemory, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.False(info.IndexLoaded || info.FloatsOnDevice, info.ToString());
            AssertAnswers(fs, model, metric, queries);
            Set(fs, model, "/f3", RandomVector(random));
        }

        AssertClean(device, model.Count);

        // ... which an open with the floats on the device loads, leaving them out; then changes, flushed, and a power cut.
        MemoryBlockDevice crashed;
        using (var fs = VexFileSystem.Open(device, onDevice, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.True(info.IndexLoaded && info.FloatsOnDevice, info.ToString());
            AssertAnswers(fs, model, metric, queries);
            for (int i = 0; i < 700; i += 9)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }

            for (int i = 4; i < 700; i += 13)
            {
                fs.Delete($"/f{i}");
                model.Remove($"/f{i}");
            }

            // New rows past the blocks the searches above read the rows inode for.
            for (int i = 700; i < 800; i++)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }

            AssertAnswers(fs, model, metric, queries);
            Assert.Equal("/f799", fs.Search("/", "v", model["/f799"], 1)[0].Path);
            fs.Flush();
            crashed = device.Snapshot();
        }

        using var image = crashed;
        using (var fs = VexFileSystem.Open(image, onDevice, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.True(info.IndexLoaded && info.FloatsOnDevice, info.ToString());
            Assert.Equal(model.Count, info.Count);
            AssertAnswers(fs, model, metric, queries);
        }

        AssertClean(image, model.Count);
    }

    [Fact]
    public void An_open_without_a_saved_index_builds_it_with_the_floats_left_on_the_device()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var random = new Random(35);
        var model = new Dictionary<string, float[]>();
        MemoryBlockDevice crashed;
        using (var fs = VexFileSystem.Format(device, options: OnDevice, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
            for (int i = 0; i < 600; i++)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }

            fs.Flush();
            crashed = device.Snapshot();
        }

        using var image = crashed;
        using (var fs = VexFileSystem.Open(image, OnDevice, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.True(!info.IndexLoaded && info.FloatsOnDevice && info.Count == 600, info.ToString());
            AssertAnswers(fs, model, VectorMetric.L2, [.. Enumerable.Range(0, 20).Select(_ => RandomVector(random))]);
        }

        AssertClean(image, model.Count);
    }

    private static void Set(VexFileSystem fs, Dictionary<string, float[]> model, string path, float[] vector)
    {
        if (!fs.Exists(path))
        {
            using var stream = fs.OpenFile(path, FileMode.Create);
        }

        fs.SetVector(path, "v", vector);
        model[path] = vector;
    }

    /// <summary>
    /// Exact searches give the model's brute-force distances; approximate ones find at least nine in ten of the true
    /// ten nearest, with exact distances; each file is its own nearest; a file's vector reads back as set.
    /// </summary>
    private static void AssertAnswers(VexFileSystem fs, Dictionary<string, float[]> model, VectorMetric metric, float[][] queries)
    {
        var space = new VectorSpace(Dimension, metric);
        double found = 0;
        foreach (var query in queries)
        {
            var truth = model.Select(p => (Path: p.Key, Distance: space.Distance(query, p.Value))).OrderBy(p => p.Distance).Take(10).ToList();
            var exact = fs.Search("/", "v", query, 10, new VexSearchOptions { Exact = true });
            Assert.Equal(truth.Select(t => t.Distance), exact.Select(h => h.Distance), (a, b) => Math.Abs(a - b) < 1e-5);
            var approximate = fs.Search("/", "v", query, 10, new VexSearchOptions { Effort = 64 });
            Assert.All(approximate, h => Assert.True(Math.Abs(space.Distance(query, model[h.Path]) - h.Distance) < 1e-5, $"{h.Path} at {h.Distance}"));
            found += approximate.Count(h => truth.Any(t => t.Path == h.Path));
        }

        Assert.True(found / (10.0 * queries.Length) >= 0.9, $"recall@10 {found / (10.0 * queries.Length):F3}");

        // A graph built from codes on several threads may leave a rare node hard to reach (one in 100 was missed
        // once), so each file is its own nearest for 98 in 100, and always by exact search.
        int own = 0;
        foreach (var (path, vector) in model.Take(100))
        {
            own += fs.Search("/", "v", vector, 1, new VexSearchOptions { Effort = 100 })[0].Path == path ? 1 : 0;
            Assert.Equal(path, fs.Search("/", "v", vector, 1, new VexSearchOptions { Exact = true })[0].Path);
            Assert.Equal(space.ToStored(vector), fs.GetVector(path, "v")!, (a, b) => Math.Abs(a - b) < 1e-6);
        }

        Assert.True(own >= 98, $"{own} of 100 files found as their own nearest");
    }

    private static void AssertClean(BlockDevice device, int vectors)
    {
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean && report.Findings.Count == 0, string.Join("; ", report.Findings));
        Assert.Equal((vectors, 1), ((int)report.Vectors, report.SavedIndexes));
    }

    private static float[] RandomVector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];
}
