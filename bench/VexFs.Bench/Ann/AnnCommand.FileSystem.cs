using System.Diagnostics;
using System.Globalization;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Vectors;
using VexFs.Vectors.Flat;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Quantization;

namespace VexFs.Bench.Ann;

/// <summary>
/// The filesystem mode: the dataset loaded as files with vectors on an image file (vector i in file
/// /dI/eJ/vI with I = i mod 10 and J = (i / 10) mod 10), searched through <see cref="VexFileSystem.Search(string, string, ReadOnlySpan{float}, int, VexSearchOptions?)"/>:
/// the whole tree at every ef, the subtree /d0 (10% of the files) likewise, and /d0/e0 (1%, exact in scope);
/// then the time to reopen the image (which loads the index that the bulk load saved).
/// </summary>
public static partial class AnnCommand
{
    private const string SpaceName = "bench";

    private static List<SystemResult> RunFileSystem(
        VectorSpace space, float[][] vectors, float[][] queries, int[][] truth, AnnArguments a, VectorResidency residency, VectorQuantization codes = VectorQuantization.Automatic)
    {
        var kind = (residency == VectorResidency.Device ? "fs-device" : "fs") + (codes == VectorQuantization.Automatic ? string.Empty : "-" + CodeName(codes));
        string path = a.Keep is null
            ? Path.Combine(Path.GetTempPath(), $"vexfs-ann-{Environment.ProcessId}.img")
            : Path.Combine(a.Keep, string.Create(CultureInfo.InvariantCulture, $"{kind}-{vectors.Length}x{space.Dimension}.img"));
        long rowBytes = 16 + (4L * space.Dimension);
        long size = Math.Max(256L << 20, vectors.Length * (rowBytes + 4096) * 2);
        var options = new VexFileSystemOptions { VectorIndex = HnswOptions.Default with { M = a.M, EfConstruction = a.EfConstruction, Quantization = codes, Seed = 100 }, VectorResidency = residency, VectorIndexThreads = a.BuildThreads };
        var mode = (residency == VectorResidency.Device ? ", floats on the device" : string.Empty) + (codes == VectorQuantization.Automatic ? string.Empty : $", {CodeName(codes)} codes");
        var parameters = new Dictionary<string, int> { ["M"] = a.M, ["efConstruction"] = a.EfConstruction };
        try
        {
            var idOf = new Dictionary<long, int>(vectors.Length);
            double build = 0;
            long memory = 0;
            var format = new Format.FormatOptions { InodeCount = vectors.Length + 4096 };
            bool reuse = a.Keep is not null && File.Exists(path);
            if (reuse)
            {
                Console.Error.WriteLine($"  {path} kept from an earlier run: opened, not loaded again");
            }
            else
            {
                // Loaded under another name, so that an interrupted run leaves nothing to reuse.
                string loading = path + ".loading";
                using (var fs = VexFileSystem.Format(ImageFileDevice.Create(loading, size), format, options))
                {
                    fs.CreateVectorSpace(SpaceName, space.Dimension, space.Metric);
                    for (int d = 0; d < 10; d++)
                    {
                        fs.CreateDirectory($"/d{d}");
                        for (int e = 0; e < 10; e++)
                        {
                            fs.CreateDirectory($"/d{d}/e{e}");
                        }
                    }

                    for (int i = 0; i < vectors.Length; i++)
                    {
                        using var file = fs.OpenFile(FilePath(i), FileMode.CreateNew);
                        idOf[file.Inode] = i;
                    }

                    fs.Flush();
                    long before = ResidentBytes();
                    var clock = Stopwatch.StartNew();
                    fs.SetVectors(SpaceName, Enumerable.Range(0, vectors.Length).Select(i => (FilePath(i), vectors[i])));
                    fs.Flush();
                    build = clock.Elapsed.TotalSeconds;
                    memory = ResidentBytes() - before;
                }

                File.Move(loading, path, overwrite: true);
            }

            var reopen = Stopwatch.StartNew();
            using var opened = VexFileSystem.Open(ImageFileDevice.Open(path), options);
            double reopened = reopen.Elapsed.TotalSeconds;
            var first = Stopwatch.StartNew();
            opened.Search("/d0/e0", SpaceName, queries[0], a.K);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  the first search after the open (it needs the namespace, walked while the index loaded) took {first.Elapsed.TotalSeconds:F2}s"));
            if (reuse)
            {
                for (int i = 0; i < vectors.Length; i++)
                {
                    idOf[opened.GetInfo(FilePath(i)).Inode] = i;
                }
            }

            var info = opened.GetVectorSpaces()[0];
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  bulk load (SetVectors, the index saved at its end) {build:F2}s; reopened {info.Count} vectors in {reopened:F2}s ({(info.IndexLoaded ? $"saved index generation {info.IndexGeneration} loaded" : "index built from the rows")})"));
            var results = new List<SystemResult>
            {
                SearchScope(opened, $"VexFs filesystem{mode}, whole tree (VexFileSystem.Search)", "/", _ => true, build, memory, info.IndexMemoryBytes, parameters, vectors, queries, truth, a, idOf),
                SearchScope(opened, $"VexFs filesystem{mode}, subtree of 10% of the files", "/d0", i => i % 10 == 0, 0, memory, 0, parameters, vectors, queries, null, a, idOf),
                SearchScope(opened, $"VexFs filesystem{mode}, subtree of 1% of the files", "/d0/e0", i => i % 100 == 0, 0, memory, 0, parameters, vectors, queries, null, a, idOf),
            };
            results.Add(new SystemResult($"VexFs filesystem{mode}, reopen with {vectors.Length} vectors: {reopened:F2} s", reopened, 0, 0, parameters));
            return results;
        }
        finally
        {
            if (a.Keep is null)
            {
                File.Delete(path);
            }

            File.Delete(path + ".loading");
        }
    }

    private static string FilePath(int i) => string.Create(CultureInfo.InvariantCulture, $"/d{i % 10}/e{i / 10 % 10}/v{i}");

    /// <summary>Searches one scope at every ef; the truth, unless given, is an exact search over the scope's vectors.</summary>
    private static SystemResult SearchScope(
        VexFileSystem fs, string name, string directory, Func<int, bool> inScope, double build, long memory, long indexBytes, Dictionary<string, int> parameters,
        float[][] vectors, float[][] queries, int[][]? truth, AnnArguments a, Dictionary<long, int> idOf)
    {
        if (truth is null)
        {
            using var exact = new FlatIndex(new VectorSpace(vectors[0].Length, fs.GetVectorSpaces()[0].Metric));
            for (int i = 0; i < vectors.Length; i++)
            {
                if (inScope(i))
                {
                    exact.Add(i, vectors[i]);
                }
            }

            truth = [.. queries.Select(q => exact.Search(q, a.K).Select(m => (int)m.Id).ToArray())];
        }

        var result = new SystemResult(name, build, memory, indexBytes, parameters);
        VectorMatch[] Search(int q, int ef) =>
            [.. fs.Search(directory, SpaceName, queries[q], a.K, new VexSearchOptions { Effort = Math.Max(ef, a.K) }).Select(h => new VectorMatch(idOf[h.Inode], h.Distance))];
        MeasureEveryEf(result, queries.Length, truth, a, Search);

        return result;
    }
}
