using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Vectors;

namespace VexFs.Core.Tests;

/// <summary>
/// The saved search index: a clean close saves it, an open loads it (not a rebuild) and catches up from the rows
/// changed since; after a power cut, a damaged index or a full disk the searches still answer exactly for the
/// files' vectors, judged against a model searched by brute force.
/// </summary>
public sealed class VectorIndexSaveTests
{
    private const int Dimension = 12;

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    public void An_open_loads_the_saved_index_and_catches_up_on_what_changed_after_it(VectorMetric metric)
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var random = new Random(21);
        var model = new Dictionary<string, float[]>();
        var queries = Enumerable.Range(0, 20).Select(_ => RandomVector(random)).ToArray();
        List<string[]> before;
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, metric);
            fs.CreateDirectory("/d");
            for (int i = 0; i < 800; i++)
            {
                Set(fs, model, $"/d/f{i}", RandomVector(random));
            }

            Assert.Equal((0L, 800L), (fs.GetVectorSpaces()[0].IndexGeneration, fs.GetVectorSpaces()[0].UnsavedChanges));
            before = [.. queries.Select(q => Paths(fs.Search("/", "v", q, 10)))];
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.True(info.IndexLoaded, "the open built the index instead of loading the saved one");
            Assert.Equal((1L, 0L, 800L), (info.IndexGeneration, info.UnsavedChanges, info.Count));

            // The same graph: approximate searches answer as they did before the close.
            Assert.Equal(before, queries.Select(q => Paths(fs.Search("/", "v", q, 10))));
            AssertExact(fs, model, metric, queries);
        }

        // Changes after the save (replaced, removed, deleted with their files, new), made durable, then a power cut.
        MemoryBlockDevice crashed;
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            for (int i = 0; i < 800; i += 7)
            {
                Set(fs, model, $"/d/f{i}", RandomVector(random));
            }

            for (int i = 3; i < 800; i += 11)
            {
                Assert.True(fs.RemoveVector($"/d/f{i}", "v"));
                model.Remove($"/d/f{i}");
            }

            for (int i = 5; i < 800; i += 13)
            {
                fs.Delete($"/d/f{i}");
                model.Remove($"/d/f{i}");
            }

            for (int i = 800; i < 900; i++)
            {
                Set(fs, model, $"/d/f{i}", RandomVector(random));
            }

            fs.Flush();
            crashed = device.Snapshot();
        }

        using var image = crashed;

        using (var fs = VexFileSystem.Open(image, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.True(info.IndexLoaded, "the open after the power cut built the index instead of catching up the saved one");
            Assert.Equal(1L, info.IndexGeneration);
            Assert.True(info.UnsavedChanges > 100, $"{info.UnsavedChanges} rows caught up");
            Assert.Equal(model.Count, info.Count);
            AssertExact(fs, model, metric, queries);
            AssertOwnNearest(fs, model);
        }

        var report = FileSystemChecker.Check(image, new CheckOptions { Force = true });
        Assert.True(report.IsClean && report.Findings.Count == 0, string.Join("; ", report.Findings));
        Assert.Equal((model.Count, 1), ((int)report.Vectors, report.SavedIndexes));

        // The next clean close saves again, with nothing left to catch up.
        using (var fs = VexFileSystem.Open(image, leaveOpen: true))
        {
        }

        using (var fs = VexFileSystem.Open(image, leaveOpen: true))
        {
            var info = fs.GetVectorSpaces()[0];
            Assert.Equal((true, 2L, 0L), (info.IndexLoaded, info.IndexGeneration, info.UnsavedChanges));
            AssertExact(fs, model, metric, queries);
        }
    }

    [Fact]
    public void A_damaged_saved_index_is_not_used_and_the_open_builds_one_from_the_vectors()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var random = new Random(4);
        var model = new Dictionary<string, float[]>();
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
            for (int i = 0; i < 300; i++)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }
        }

        DamageIndex(device);
        var log = new ListLoggerFactory();
        using (var fs = VexFileSystem.Open(device, new VexFileSystemOptions { LoggerFactory = log }, leaveOpen: true))
        {
            Assert.False(fs.GetVectorSpaces()[0].IndexLoaded);
            var unusable = Assert.Single(log.Entries, e => e.EventId == 6);
            Assert.Contains("vector space 'v' could not be used", unusable.Message, StringComparison.Ordinal);
            Assert.IsType<VexFs.Vectors.Persistence.CorruptIndexException>(unusable.Exception);
            AssertExact(fs, model, VectorMetric.L2, [.. Enumerable.Range(0, 10).Select(_ => RandomVector(random))]);
            AssertOwnNearest(fs, model);
        }

        // That close saved a good index in its place.
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            Assert.True(fs.GetVectorSpaces()[0].IndexLoaded);
            AssertOwnNearest(fs, model);
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void Without_room_for_a_copy_the_index_is_not_saved_and_nothing_is_lost()
    {
        using var device = new MemoryBlockDevice(8L << 20);
        var random = new Random(9);
        var model = new Dictionary<string, float[]>();
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
            for (int i = 0; i < 200; i++)
            {
                Set(fs, model, $"/f{i}", RandomVector(random));
            }

            // Fill the disk: the index's copy has nowhere to go.
            using (var filler = fs.OpenFile("/filler", FileMode.Create))
            {
                var chunk = new byte[64 << 10];
                try
                {
                    while (true)
                    {
                        filler.Write(chunk);
                    }
                }
                catch (IOException)
                {
                }
            }

            Assert.False(fs.SaveVectorIndexes());
            Assert.Equal(0L, fs.GetVectorSpaces()[0].IndexGeneration);
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            Assert.False(fs.GetVectorSpaces()[0].IndexLoaded);
            AssertOwnNearest(fs, model);
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void The_names_walked_while_a_large_index_loads_follow_the_changes_made_at_once_after_the_open()
    {
        // Large enough that the open walks the namespace on another thread while it loads the index; the changes
        // that follow at once wait for that walk or find it done, and the searches name files as they now are.
        int count = (int)Vectors.VectorCatalog.LargeRowCount;
        using var device = new MemoryBlockDevice(256L << 20);
        var random = new Random(8);
        var model = new Dictionary<string, float[]>();
        using (var fs = VexFileSystem.Format(device, new Format.FormatOptions { InodeCount = count + 1024 }, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
            fs.CreateDirectory("/a");
            fs.CreateDirectory("/b");
            for (int i = 0; i < count; i++)
            {
                string path = $"/{(i % 2 == 0 ? 'a' : 'b')}/f{i}";
                fs.OpenFile(path, FileMode.CreateNew).Dispose();
                model[path] = RandomVector(random);
            }

            fs.SetVectors("v", model.Select(kv => (kv.Key, kv.Value)));
        }

        for (int round = 0; round < 3; round++)
        {
            string from = round % 2 == 0 ? "/a" : "/c", to = round % 2 == 0 ? "/c" : "/a";
            using (var fs = VexFileSystem.Open(device, leaveOpen: true))
            {
                fs.Move(from, to);
                fs.Delete($"/b/f{(2 * round) + 1}");
                model = model.Where(kv => kv.Key != $"/b/f{(2 * round) + 1}")
                    .ToDictionary(kv => kv.Key.StartsWith(from + "/", StringComparison.Ordinal) ? to + kv.Key[from.Length..] : kv.Key, kv => kv.Value);
                Assert.True(fs.GetVectorSpaces()[0].IndexLoaded);
                foreach (var (path, vector) in model.Where((_, i) => i % 997 == 0))
                {
                    var hit = fs.Search("/", "v", vector, 1, new VexSearchOptions { Exact = true })[0];
                    Assert.Equal((path, 0f), (hit.Path, hit.Distance));
                    var scoped = fs.Search(to, "v", vector, 1, new VexSearchOptions { Exact = true })[0];
                    Assert.Equal(path.StartsWith(to + "/", StringComparison.Ordinal), scoped.Path == path);
                }

                AssertExact(fs, model, VectorMetric.L2, [RandomVector(random), RandomVector(random)]);
            }

            Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        }
    }

    private static void Set(VexFileSystem fs, Dictionary<string, float[]> model, string path, float[] vector)
    {
        if (!fs.Exists(path))
        {
            using var stream = fs.OpenFile(path, FileMode.Create);
            stream.WriteByte(1);
        }

        fs.SetVector(path, "v", vector);
        model[path] = vector;
    }

    /// <summary>Exact searches give the model's brute-force distances, for the whole tree.</summary>
    private static void AssertExact(VexFileSystem fs, Dictionary<string, float[]> model, VectorMetric metric, float[][] queries)
    {
        var space = new VectorSpace(Dimension, metric);
        foreach (var query in queries)
        {
            var expected = model.Values.Select(v => space.Distance(query, v)).Order().Take(10).ToList();
            var exact = fs.Search("/", "v", query, 10, new VexSearchOptions { Exact = true });
            Assert.Equal(expected.Count, exact.Count);
            Assert.All(expected.Zip(exact), p => Assert.True(Math.Abs(p.First - p.Second.Distance) < 1e-5, $"distance {p.Second.Distance}, expected {p.First}"));
            Assert.All(exact, h => Assert.True(model.ContainsKey(h.Path), $"{h.Path} has no vector"));
        }
    }

    /// <summary>Every file's vector is in the index: its own nearest, at distance 0 (a duplicate aside).</summary>
    private static void AssertOwnNearest(VexFileSystem fs, Dictionary<string, float[]> model)
    {
        foreach (var (path, vector) in model)
        {
            var hit = fs.Search("/", "v", vector, 1, new VexSearchOptions { Effort = 200 })[0];
            Assert.True(hit.Distance < 1e-4, $"{path}: nearest is {hit.Path} at {hit.Distance}");
        }
    }

    /// <summary>Overwrites a page in the middle of the saved index with garbage, on the device.</summary>
    private static void DamageIndex(MemoryBlockDevice device)
    {
        var editor = Editing.FileSystemEditor.Open(device);
        var space = editor.ReadVectorTable().Spaces[0];
        Assert.NotEqual(0L, space.IndexInode);
        long pages = editor.FileBlocks(space.IndexInode);
        var garbage = new byte[editor.Superblock.BlockSize];
        new Random(1).NextBytes(garbage);
        editor.WriteData(space.IndexInode, pages / 2, garbage);
    }

    private static string[] Paths(IReadOnlyList<VexSearchHit> hits) => [.. hits.Select(h => h.Path)];

    private static float[] RandomVector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];
}
