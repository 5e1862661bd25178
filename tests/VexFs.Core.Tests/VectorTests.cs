using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;

namespace VexFs.Core.Tests;

/// <summary>
/// Vectors on files, judged against a model: a dictionary of path to vector, searched by brute force with the
/// same distance (<see cref="VectorSpace.Distance"/>), never by the filesystem's own index.
/// </summary>
public sealed class VectorTests
{
    private const int Dimension = 16;

    [Fact]
    public void Exact_search_equals_brute_force_over_the_scope_and_approximate_recall_is_high()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        using var fs = VexFileSystem.Format(device, leaveOpen: true);
        fs.CreateVectorSpace("text", Dimension, VectorMetric.L2);
        var random = new Random(5);
        var model = new Dictionary<string, float[]>();
        foreach (string dir in new[] { "/a", "/a/x", "/b" })
        {
            fs.CreateDirectory(dir);
        }

        string[] dirs = ["/", "/a", "/a/x", "/b"];
        for (int i = 0; i < 1500; i++)
        {
            string path = $"{dirs[i % dirs.Length].TrimEnd('/')}/f{i}";
            Write(fs, path, [(byte)i]);
            var v = RandomVector(random);
            fs.SetVector(path, "text", v);
            model[path] = v;
        }

        var space = new VectorSpace(Dimension, VectorMetric.L2);
        double found = 0;
        int queries = 0;
        foreach (var (dir, subtree) in new[] { ("/", true), ("/a", true), ("/a", false), ("/a/x", true), ("/b", true) })
        {
            for (int q = 0; q < 20; q++)
            {
                var query = RandomVector(random);
                var expected = model.Where(kv => InScope(kv.Key, dir, subtree))
                    .Select(kv => (kv.Key, Distance: space.Distance(query, kv.Value)))
                    .OrderBy(e => e.Distance).ThenBy(e => e.Key, StringComparer.Ordinal).Take(10).ToList();
                var exact = fs.Search(dir, "text", query, 10, new VexSearchOptions { Exact = true, Subtree = subtree });
                Assert.Equal(expected.Select(e => e.Distance), exact.Select(h => h.Distance));
                Assert.All(exact, h => Assert.True(InScope(h.Path, dir, subtree), $"{h.Path} is outside {dir}"));
                Assert.Equal(exact.Select(h => model[h.Path]), exact.Select(h => fs.GetVector(h.Path, "text")!));
                Assert.Equal(exact, fs.Search(fs.GetInfo(dir).Inode, "text", query, 10, new VexSearchOptions { Exact = true, Subtree = subtree }));
                var approximate = fs.Search(dir, "text", query, 10, new VexSearchOptions { Subtree = subtree, Effort = 100 });
                Assert.All(approximate, h => Assert.True(InScope(h.Path, dir, subtree), $"{h.Path} is outside {dir}"));
                found += approximate.Select(h => h.Path).Intersect(expected.Select(e => e.Key)).Count();
                queries++;
            }
        }

        Assert.True(found / (queries * 10) >= 0.95, $"recall@10 {found / (queries * 10):F3}");
        var notADirectory = Assert.ThrowsAny<IOException>(() => fs.Search(fs.GetInfo("/a/f1").Inode, "text", RandomVector(random), 1));
        Assert.Equal(VexErrorKind.NotADirectory, VexErrors.KindOf(notADirectory));
    }

    /// <summary>
    /// A scope too large for a dense copy of its vectors (more than 32,768) but, at a high effort, cheaper to
    /// compare one by one than to walk is answered exactly, with or without a predicate.
    /// </summary>
    [Fact]
    public void A_scope_too_large_for_a_dense_copy_is_searched_exactly()
    {
        const int Narrow = 8, InScope = 33_000, Files = 40_000;
        using var device = new MemoryBlockDevice(256L << 20);
        var options = new VexFileSystemOptions { VectorIndex = HnswOptions.Default with { EfConstruction = 16, M = 8 } };
        using var fs = VexFileSystem.Format(device, new FormatOptions { InodeCount = Files + 1024 }, options, leaveOpen: true);
        fs.CreateVectorSpace("narrow", Narrow, VectorMetric.L2);
        fs.CreateDirectory("/big");
        fs.CreateDirectory("/rest");
        var random = new Random(9);
        var model = new Dictionary<string, float[]>();
        for (int i = 0; i < Files; i++)
        {
            string path = i < InScope ? $"/big/f{i}" : $"/rest/f{i}";
            Write(fs, path, [(byte)i]);
            model[path] = [.. Enumerable.Range(0, Narrow).Select(_ => (float)random.NextDouble())];
        }

        fs.SetVectors("narrow", model.Select(kv => (kv.Key, kv.Value)));
        var space = new VectorSpace(Narrow, VectorMetric.L2);
        var inodes = model.Keys.ToDictionary(p => fs.GetInfo(p).Inode, p => p);
        for (int q = 0; q < 5; q++)
        {
            float[] query = [.. Enumerable.Range(0, Narrow).Select(_ => (float)random.NextDouble())];
            foreach (var where in new Func<long, bool>?[] { null, inode => inode % 3 != 0 })
            {
                var expected = model.Where(kv => kv.Key.StartsWith("/big/", StringComparison.Ordinal) && (where is null || where(fs.GetInfo(kv.Key).Inode)))
                    .Select(kv => (kv.Key, Distance: space.Distance(query, kv.Value)))
                    .OrderBy(e => e.Distance).ThenBy(e => e.Key, StringComparer.Ordinal).Take(10).ToList();

                // At effort 2,000 and M = 8, comparing 33,000 of 40,000 vectors costs fewer distances than a walk
                // (33,000^2 <= 2,000 x 16 x 40,000) and their 1 MB fits the bytes compared one by one.
                var found = fs.Search("/big", "narrow", query, 10, new VexSearchOptions { Where = where, Effort = 2000 });
                Assert.Equal(expected.Select(e => e.Key), found.Select(h => h.Path));
                Assert.Equal(expected.Select(e => e.Distance), found.Select(h => h.Distance));
                Assert.All(found, h => Assert.Equal(h.Path, inodes[h.Inode]));
            }
        }
    }

    /// <summary>
    /// A bulk load of wide vectors is cut into operations that fit the journal: 300 rows of 4,096 dimensions
    /// (five blocks each) in one batch would need more blocks than a 64 MiB filesystem's journal takes at once.
    /// </summary>
    [Fact]
    public void A_bulk_load_of_wide_vectors_fits_its_operations_to_the_journal()
    {
        const int Wide = VectorSpace.MaxDimension;
        using var device = new MemoryBlockDevice(64L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateVectorSpace("wide", Wide, VectorMetric.L2);
            var vectors = Enumerable.Range(0, 300).Select(i => ($"/f{i}", Enumerable.Range(0, Wide).Select(d => (float)((i * 7) + d)).ToArray())).ToList();
            foreach (var (path, _) in vectors)
            {
                Write(fs, path, [1]);
            }

            var progress = new List<long>();
            fs.SetVectors("wide", vectors, new SynchronousProgress(progress.Add), batchSize: 300);
            Assert.True(progress.Count > 1, "one operation took every row");
            Assert.Equal(300, progress[^1]);
            Assert.Equal(vectors[123].Item2, fs.GetVector("/f123", "wide")!);
        }

        AssertClean(device);
    }

    /// <summary>
    /// A bulk load links each batch's new vectors on several threads: the graph still finds the nearest
    /// (recall against brute force), a file set twice in one batch keeps its last vector in the index too, and
    /// the index survives a remount.
    /// </summary>
    [Fact]
    public void A_bulk_load_linked_on_several_threads_searches_as_well()
    {
        const int Files = 3000;
        using var device = new MemoryBlockDevice(64L << 20);
        var options = new VexFileSystemOptions { VectorIndexThreads = 2 };
        var random = new Random(12);
        var model = new Dictionary<string, float[]>();
        var space = new VectorSpace(Dimension, VectorMetric.L2);
        using (var fs = VexFileSystem.Format(device, new FormatOptions { InodeCount = Files + 1024 }, options, leaveOpen: true))
        {
            fs.CreateVectorSpace("text", Dimension, VectorMetric.L2);
            var load = new List<(string, float[])>();
            for (int i = 0; i < Files; i++)
            {
                string path = $"/f{i}";
                Write(fs, path, [(byte)i]);
                model[path] = RandomVector(random);
                load.Add((path, RandomVector(random)));
                load.Add((path, model[path]));
            }

            fs.SetVectors("text", load);
        }

        using (var fs = VexFileSystem.Open(device, options, leaveOpen: true))
        {
            double found = 0;
            for (int q = 0; q < 50; q++)
            {
                var query = RandomVector(random);
                var expected = model.Select(kv => (kv.Key, Distance: space.Distance(query, kv.Value)))
                    .OrderBy(e => e.Distance).ThenBy(e => e.Key, StringComparer.Ordinal).Take(10).ToList();
                Assert.Equal(expected.Select(e => e.Distance), fs.Search("/", "text", query, 10, new VexSearchOptions { Exact = true }).Select(h => h.Distance));
                var approximate = fs.Search("/", "text", query, 10, new VexSearchOptions { Effort = 64 });
                Assert.All(approximate, h => Assert.Equal(space.Distance(query, model[h.Path]), h.Distance));
                found += approximate.Select(h => h.Path).Intersect(expected.Select(e => e.Key)).Count();
            }

            Assert.True(found / 500 >= 0.95, $"recall@10 {found / 500:F3}");
            Assert.Equal(Files, fs.GetVectorSpaces()[0].Count);
        }

        AssertClean(device);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VexFileSystemOptions { VectorIndexThreads = 0 });
    }

    [Fact]
    public void A_vector_follows_its_file_through_links_renames_moves_and_deletes()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        using var fs = VexFileSystem.Format(device, leaveOpen: true);
        fs.CreateVectorSpace("text", Dimension, VectorMetric.Cosine);
        fs.CreateDirectory("/docs");
        fs.CreateDirectory("/docs/deep");
        fs.CreateDirectory("/other");
        var random = new Random(3);
        var a = RandomVector(random);
        var b = RandomVector(random);
        Write(fs, "/docs/deep/a", [1]);
        Write(fs, "/docs/b", [2]);
        fs.SetVector("/docs/deep/a", "text", a);
        fs.SetVector("/docs/b", "text", b);

        // Hard links share the vector; a search names the file once, by a name inside the scope.
        fs.CreateHardLink("/other/a-link", "/docs/deep/a");
        Assert.Equal(fs.GetVector("/docs/deep/a", "text"), fs.GetVector("/other/a-link", "text"));
        Assert.Equal(["/other/a-link"], Paths(fs.Search("/other", "text", a, 5)));
        Assert.Equal(2, fs.Search("/", "text", a, 5).Count);

        // Truncating and overwriting leave it alone; renaming changes only the path results show.
        Write(fs, "/docs/deep/a", [9, 9, 9]);
        fs.Move("/docs/deep/a", "/docs/deep/a2");
        Assert.Equal("/docs/deep/a2", fs.Search("/docs", "text", a, 1)[0].Path);

        // Moving a directory moves its subtree's vectors in scope at once.
        fs.Move("/docs/deep", "/other/deep");
        Assert.Equal(["/docs/b"], Paths(fs.Search("/docs", "text", a, 5)));
        Assert.Equal(["/other/deep/a2"], Paths(fs.Search("/other/deep", "text", a, 5)));
        Assert.Single(fs.Search("/other", "text", a, 5));

        // The last link goes: so does the vector; a file deleted while open is never a result.
        fs.Delete("/other/a-link");
        fs.Delete("/other/deep/a2");
        Assert.Equal(["/docs/b"], Paths(fs.Search("/", "text", a, 5)));
        using (var open = fs.OpenFile("/docs/b", FileMode.Open))
        {
            fs.Delete("/docs/b");
            Assert.Empty(fs.Search("/", "text", b, 5));
        }

        Assert.DoesNotContain(fs.GetVectorSpaces(), s => s.Count != 0);
        fs.Dispose();
        AssertClean(device);
    }

    [Fact]
    public void Vectors_survive_a_remount_and_are_attributes_too()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        var random = new Random(8);
        var model = new Dictionary<string, float[]>();
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateVectorSpace("img", Dimension, VectorMetric.InnerProduct);
            fs.CreateVectorSpace("big", 1100, VectorMetric.L2);
            fs.SetVectors("img", Enumerable.Range(0, 300).Select(i =>
            {
                Write(fs, $"/f{i}", []);
                var v = RandomVector(random);
                model[$"/f{i}"] = v;
                return ($"/f{i}", v);
            }));
            var wide = new float[1100];
            wide[7] = 1;
            fs.SetVector("/f1", "big", wide);
            fs.RemoveVector("/f2", "img");
            model.Remove("/f2");
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            Assert.Equal(["big", "img"], fs.GetVectorSpaces().Select(s => s.Name));
            Assert.Equal(299, fs.GetVectorSpaces().Single(s => s.Name == "img").Count);
            Assert.All(model, kv => Assert.Equal(kv.Value, fs.GetVector(kv.Key, "img")));
            Assert.Null(fs.GetVector("/f2", "img"));
            Assert.Equal(7, Array.IndexOf(fs.GetVector("/f1", "big")!, 1f));

            // The same vector through the attribute: little-endian float32.
            var bytes = fs.GetXattr("/f3", "user.vexfs.img");
            Assert.Equal(model["/f3"], Enumerable.Range(0, Dimension).Select(i => BitConverter.ToSingle(bytes, i * 4)));
            Assert.Contains("user.vexfs.img", fs.ListXattrs("/f3"));
            fs.SetXattr("/f2", "user.vexfs.img", bytes);
            Assert.Equal(model["/f3"], fs.GetVector("/f2", "img"));
            fs.RemoveXattr("/f2", "user.vexfs.img");
            Assert.Null(fs.GetVector("/f2", "img"));
            fs.DropVectorSpace("big");
        }

        AssertClean(device);
        using (var fs = VexFileSystem.Open(device, new VexFileSystemOptions { ReadOnly = true }))
        {
            Assert.Equal(["img"], fs.GetVectorSpaces().Select(s => s.Name));
            var nearest = fs.Search("/", "img", model["/f9"], 1, new VexSearchOptions { Exact = true });
            Assert.Equal("/f9", nearest[0].Path);
        }
    }

    [Fact]
    public async Task Searches_run_while_another_thread_writes_files_and_vectors()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        using var fs = VexFileSystem.Format(device, leaveOpen: true);
        fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
        fs.CreateDirectory("/in");
        fs.CreateDirectory("/out");
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var random = new Random(11);
            for (int i = 0; i < 3000; i++)
            {
                string path = $"/{(random.Next(2) == 0 ? "in" : "out")}/f{random.Next(200)}";
                switch (random.Next(4))
                {
                    case 0 when fs.Exists(path):
                        fs.Delete(path);
                        break;
                    case 1 when fs.Exists(path):
                        fs.RemoveVector(path, "v");
                        break;
                    default:
                        if (!fs.Exists(path))
                        {
                            Write(fs, path, [1]);
                        }

                        fs.SetVector(path, "v", RandomVector(random));
                        break;
                }
            }

            stop.Cancel();
        }, TestContext.Current.CancellationToken);
        var searchers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            var random = new Random(t);
            int searches = 0;
            while (!stop.IsCancellationRequested || searches == 0)
            {
                var hits = fs.Search("/in", "v", RandomVector(random), 10, new VexSearchOptions { Exact = t == 1 });
                Assert.All(hits, h => Assert.StartsWith("/in/", h.Path, StringComparison.Ordinal));
                Assert.Equal(hits.Select(h => h.Distance).Order(), hits.Select(h => h.Distance));
                searches++;
            }

            return searches;
        }, TestContext.Current.CancellationToken)).ToArray();
        await writer;
        int[] done = await Task.WhenAll(searchers);
        Assert.All(done, n => Assert.True(n > 0));

        // Once quiet, the index holds exactly what the files carry.
        var space = new VectorSpace(Dimension, VectorMetric.L2);
        var query = RandomVector(new Random(99));
        var expected = fs.EnumerateEntries("/in").Select(e => "/in/" + e.Name)
            .Select(p => (Path: p, Vector: fs.GetVector(p, "v"))).Where(p => p.Vector is not null)
            .Select(p => space.Distance(query, p.Vector!)).Order().Take(10);
        Assert.Equal(expected, fs.Search("/in", "v", query, 10, new VexSearchOptions { Exact = true }).Select(h => h.Distance));
        fs.Dispose();
        AssertClean(device);
    }

    [Fact]
    public void Bad_input_is_refused_and_changes_nothing()
    {
        using var device = new MemoryBlockDevice(64L << 20);
        using var fs = VexFileSystem.Format(device, leaveOpen: true);
        fs.CreateVectorSpace("cos", 4, VectorMetric.Cosine);
        fs.CreateDirectory("/d");
        Write(fs, "/f", [1]);
        fs.SetVector("/f", "cos", [1, 0, 0, 0]);
        Assert.Throws<ArgumentException>(() => fs.SetVector("/f", "cos", [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => fs.SetVector("/f", "cos", [1, float.NaN, 0, 0]));
        Assert.Throws<ArgumentException>(() => fs.SetVector("/f", "cos", [float.PositiveInfinity, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => fs.SetVector("/f", "cos", [0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => fs.SetVector("/f", "nope", [1, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => fs.Search("/", "cos", [], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.Search("/", "cos", [1, 0, 0, 0], 0));
        Assert.Throws<ArgumentException>(() => fs.Search("/", "nope", [1, 0, 0, 0], 1));
        Assert.Throws<ArgumentException>(() => fs.CreateVectorSpace("huge", 4097, VectorMetric.L2));
        Assert.Equal(VexErrorKind.AlreadyExists, Assert.Throws<VexFsException>(() => fs.CreateVectorSpace("cos", 4, VectorMetric.L2)).Kind);
        Assert.Equal(VexErrorKind.IsADirectory, VexErrors.KindOf(Assert.ThrowsAny<Exception>(() => fs.SetVector("/d", "cos", [1, 0, 0, 0]))));
        Assert.Equal([1f, 0, 0, 0], fs.GetVector("/f", "cos")!);
        Assert.Single(fs.Search("/", "cos", [0, 1, 0, 0], 5));
        fs.Dispose();
        AssertClean(device);
    }

    private static void AssertClean(BlockDevice device)
    {
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.ExitCode == CheckReport.ExitClean, $"fsck -n -f: {string.Join("; ", report.Findings)} {report.OperationalError}");
    }

    private static void Write(VexFileSystem fs, string path, byte[] content)
    {
        using var stream = fs.OpenFile(path, FileMode.Create);
        stream.Write(content);
    }

    private static float[] RandomVector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];

    private static bool InScope(string path, string dir, bool subtree)
    {
        string parent = path[..Math.Max(path.LastIndexOf('/'), 1)];
        return subtree ? dir == "/" || path.StartsWith(dir + "/", StringComparison.Ordinal) : parent == dir;
    }

    private static string[] Paths(IEnumerable<VexSearchHit> hits) => [.. hits.Select(h => h.Path)];

    /// <summary>Reports on the calling thread, in order.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
