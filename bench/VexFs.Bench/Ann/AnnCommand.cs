using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VexFs.Vectors;
using VexFs.Vectors.Flat;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Persistence;
using VexFs.Vectors.Quantization;

namespace VexFs.Bench.Ann;

/// <summary>
/// <c>ann DATASET_DIR [--M 16] [--efc 200] [--ef 10,16,32,64,128] [--threads 1] [--build-threads 1] [--k 10]
/// [--systems hnsw,hnsw-CODES,hnsw-CODES-device,hnsw-CODES-owner,flat,fs,fs-device,fs-device-CODES] [--out results.json] [--keep DIR]</c>: builds our indexes on a make_dataset.py
/// directory and writes the peers' result schema. CODES is int8, binary, 2bit or 4bit. <c>ann plot OUT.png RESULTS.json...</c> draws them.
/// </summary>
public static partial class AnnCommand
{
    public static int Run(string[] args)
    {
        if (args.FirstOrDefault() == "plot")
        {
            return AnnPlot.Run(args[1..]);
        }

        AnnArguments a;
        try
        {
            a = AnnArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"ann: {e.Message}");
            Console.Error.WriteLine("usage: ann DATASET_DIR [--M 16] [--efc 200] [--ef 10,16,32,64,128] [--threads 1] [--build-threads 1] [--k 10] [--systems hnsw,hnsw-CODES,hnsw-CODES-device,hnsw-CODES-owner,flat,fs,fs-device,fs-device-CODES] [--out FILE] [--keep DIR]; CODES: int8, binary, 2bit, 4bit");
            return 2;
        }

        var metric = ReadMetric(Path.Combine(a.Dataset, "meta.json"));
        var data = File.Exists(Path.Combine(a.Dataset, "base.fvecs"))
            ? (Base: VecsFile.ReadFloats(Path.Combine(a.Dataset, "base.fvecs")),
               Queries: VecsFile.ReadFloats(Path.Combine(a.Dataset, "query.fvecs")),
               Truth: VecsFile.ReadInts(Path.Combine(a.Dataset, "groundtruth.ivecs")))
            : throw new FileNotFoundException("no base.fvecs in the dataset directory", a.Dataset);
        var space = new VectorSpace(data.Base[0].Length, metric);
        var results = new List<SystemResult>();
        foreach (var system in a.Systems)
        {
            Console.Error.WriteLine($"{system} on {a.Dataset} ...");
            var measured = system switch
            {
                "hnsw" => RunHnsw(space, data.Base, data.Queries, data.Truth, a, VectorQuantization.None),
                _ when CodesOf(system, "hnsw-", string.Empty) is { } codes => RunHnsw(space, data.Base, data.Queries, data.Truth, a, codes),
                _ when CodesOf(system, "hnsw-", "-device") is { } codes => RunDevice(space, data.Base, data.Queries, data.Truth, a, codes),
                _ when CodesOf(system, "hnsw-", "-owner") is { } codes => [RunOwner(space, data.Base, data.Queries, data.Truth, a, codes)],
                "flat" => [RunFlat(space, data.Base, data.Queries, data.Truth, a)],
                "fs" => RunFileSystem(space, data.Base, data.Queries, data.Truth, a, VectorResidency.Memory),
                "fs-device" => RunFileSystem(space, data.Base, data.Queries, data.Truth, a, VectorResidency.Device),
                _ when CodesOf(system, "fs-device-", string.Empty) is { } codes => RunFileSystem(space, data.Base, data.Queries, data.Truth, a, VectorResidency.Device, codes),
                _ => throw new ArgumentException($"unknown system {system}"),
            };
            foreach (var result in measured)
            {
                Console.Error.WriteLine($"  {result.Name}");
                result.Print(a.K);
                results.Add(result);
            }
        }

        if (a.Out is not null)
        {
            using var stream = File.Create(a.Out);
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartArray();
            foreach (var r in results)
            {
                r.Write(json, a, space, data.Base.Length, Path.GetFileName(Path.TrimEndingDirectorySeparator(a.Dataset)));
            }

            json.WriteEndArray();
        }

        return 0;
    }

    private static VectorMetric ReadMetric(string metaPath)
    {
        if (!File.Exists(metaPath))
        {
            return VectorMetric.L2;
        }

        using var meta = JsonDocument.Parse(File.ReadAllText(metaPath));
        var name = meta.RootElement.TryGetProperty("metric", out var m) ? m.GetString() : "l2";
        return name switch
        {
            "ip" => VectorMetric.InnerProduct,
            "cos" => VectorMetric.Cosine,
            _ => VectorMetric.L2,
        };
    }

    private static List<SystemResult> RunHnsw(VectorSpace space, float[][] vectors, float[][] queries, int[][] truth, AnnArguments a, VectorQuantization quantization)
    {
        var options = HnswOptions.Default with { M = a.M, EfConstruction = a.EfConstruction, Quantization = quantization, QuantizationTrainingSize = Math.Min(vectors.Length, 1024), Seed = 100 };
        var ids = Enumerable.Range(0, vectors.Length).Select(i => (long)i).ToArray();
        var before = ResidentBytes();
        var clock = Stopwatch.StartNew();
        var index = new HnswIndex(space, options);
        index.AddRange(ids, vectors, a.BuildThreads);
        var build = clock.Elapsed.TotalSeconds;
        var memory = ResidentBytes() - before;
        var result = new SystemResult(
            quantization == VectorQuantization.None ? "VexFs HnswIndex" : $"VexFs HnswIndex {CodeName(quantization)} (exact re-rank)",
            build, memory, index.MemoryBytes, new() { ["M"] = a.M, ["efConstruction"] = a.EfConstruction });
        MeasureEveryEf(result, queries.Length, truth, a, (q, ef) => index.Search(queries[q], a.K, ef));

        var results = new List<SystemResult> { result };
        if (quantization == VectorQuantization.None)
        {
            results.AddRange(RunFiltered(space, index, vectors, queries, a, memory));
        }

        index.Dispose();
        return results;
    }

    /// <summary>The codes a system name can ask for, by the name it uses.</summary>
    private static readonly (string Name, VectorQuantization Codes)[] CodeNames =
        [("int8", VectorQuantization.ScalarInt8), ("binary", VectorQuantization.Binary), ("2bit", VectorQuantization.TwoBit), ("4bit", VectorQuantization.FourBit)];

    /// <summary>The codes a system name such as <c>hnsw-4bit-device</c> asks for, between <paramref name="prefix"/> and <paramref name="suffix"/>.</summary>
    private static VectorQuantization? CodesOf(string system, string prefix, string suffix)
    {
        if (!system.StartsWith(prefix, StringComparison.Ordinal) || !system.EndsWith(suffix, StringComparison.Ordinal) || system.Length <= prefix.Length + suffix.Length)
        {
            return null;
        }

        var name = system[prefix.Length..^suffix.Length];
        foreach (var (known, codes) in CodeNames)
        {
            if (known == name)
            {
                return codes;
            }
        }

        return null;
    }

    private static string CodeName(VectorQuantization quantization) => CodeNames.First(c => c.Codes == quantization).Name;

    /// <summary>
    /// The index whose owner keeps the floats (a filesystem keeps them in the files' rows): codes and graph in
    /// memory, the graph built from the codes, the final candidates re-ranked with floats read from the owner
    /// (here the dataset's arrays, so the figure leaves out the device's reads).
    /// </summary>
    private static SystemResult RunOwner(VectorSpace space, float[][] vectors, float[][] queries, int[][] truth, AnnArguments a, VectorQuantization quantization)
    {
        var owner = new ArrayReader(space, vectors);
        var before = ResidentBytes();
        var clock = Stopwatch.StartNew();
        using var index = new HnswIndex(space, HnswOptions.Default with { M = a.M, EfConstruction = a.EfConstruction, Quantization = quantization, Seed = 100 }, owner, vectors.Take(1024));
        index.AddRange(Enumerable.Range(0, vectors.Length).Select(i => (long)i).ToArray(), vectors, a.BuildThreads);
        var build = clock.Elapsed.TotalSeconds;
        var memory = ResidentBytes() - before;
        var result = new SystemResult($"VexFs HnswIndex {CodeName(quantization)}, floats with their owner", build, memory, index.MemoryBytes, new() { ["M"] = a.M, ["efConstruction"] = a.EfConstruction });
        MeasureEveryEf(result, queries.Length, truth, a, (q, ef) => index.Search(queries[q], a.K, ef));

        return result;
    }

    /// <summary>The dataset's vectors in their stored form, read by id (the position in the dataset).</summary>
    private sealed class ArrayReader(VectorSpace space, float[][] vectors) : IVectorReader
    {
        private readonly float[][] _stored = space.Metric == VectorMetric.Cosine ? [.. vectors.Select(v => space.ToStored(v))] : vectors;

        public void Read(long id, Span<float> destination) => _stored[id].CopyTo(destination);
    }

    /// <summary>
    /// Builds a quantized index with the floats in memory, saves it to a page file (kept in <c>--keep DIR</c>
    /// and reused from there when it exists) and reopens it with the floats left in the file, three ways: read
    /// with O_DIRECT (every re-ranked vector comes from the disk), through the page cache just dropped (cold:
    /// one pass per ef, each after dropping it) and through the page cache warmed by a pass. Memory is what
    /// reopening adds.
    /// </summary>
    private static List<SystemResult> RunDevice(VectorSpace space, float[][] vectors, float[][] queries, int[][] truth, AnnArguments a, VectorQuantization quantization)
    {
        var name = CodeName(quantization);
        var path = Path.Combine(a.Keep ?? Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"hnsw-{name}-{vectors.Length}x{space.Dimension}-M{a.M}-efc{a.EfConstruction}.pages"));
        var build = 0.0;
        try
        {
            if (a.Keep is null || !File.Exists(path))
            {
                var clock = Stopwatch.StartNew();
                using var built = new HnswIndex(space, HnswOptions.Default with { M = a.M, EfConstruction = a.EfConstruction, Quantization = quantization, QuantizationTrainingSize = Math.Min(vectors.Length, 1024), Seed = 100 });
                built.AddRange(Enumerable.Range(0, vectors.Length).Select(i => (long)i).ToArray(), vectors, a.BuildThreads);
                using var file = new PageFile(path + ".new", 4096, FileMode.Create);
                built.Save(file);
                File.Move(path + ".new", path, overwrite: true);
                build = clock.Elapsed.TotalSeconds;
            }
            else
            {
                Console.Error.WriteLine($"  reusing {path}");
            }

            var parameters = new Dictionary<string, int> { ["M"] = a.M, ["efConstruction"] = a.EfConstruction };
            var results = new List<SystemResult>();
            using (var direct = new DirectPageStore(path))
            {
                var before = ResidentBytes();
                var clock = Stopwatch.StartNew();
                using var index = HnswIndex.Load(direct, VectorResidency.Device);
                var load = clock.Elapsed.TotalSeconds;
                var memory = ResidentBytes() - before;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  reopened with O_DIRECT in {load:F2}s, {index.MemoryBytes / (double)vectors.Length:F0} bytes of index arrays per vector"));
                var result = new SystemResult($"VexFs HnswIndex {name}, floats on the device (O_DIRECT)", build, memory, index.MemoryBytes, parameters);
                MeasureEveryEf(result, queries.Length, truth, a, (q, ef) => index.Search(queries[q], a.K, ef));
                foreach (var ef in a.Ef)
                {
                    // One more pass, untimed, to count the vectors each query reads from the device.
                    var readsBefore = direct.Reads;
                    for (var q = 0; q < queries.Length; q++)
                    {
                        index.Search(queries[q], a.K, Math.Max(ef, a.K));
                    }

                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ef={ef,4}: {(direct.Reads - readsBefore) / (double)queries.Length:F1} page reads per query"));
                }

                results.Add(result);
            }

            using var store = new PageFile(path, 4096, FileMode.Open);
            using var cached = HnswIndex.Load(store, VectorResidency.Device);
            if (DropPageCache())
            {
                var cold = new SystemResult($"VexFs HnswIndex {name}, floats on the device (page cache dropped before each ef)", build, 0, cached.MemoryBytes, parameters);
                var found = new VectorMatch[queries.Length][];
                foreach (var ef in a.Ef)
                {
                    DropPageCache();
                    var qps = Timed(queries.Length, a.Threads, q => found[q] = cached.Search(queries[q], a.K, Math.Max(ef, a.K)), TimeSpan.Zero);
                    cold.Runs.Add(new Measurement(ef, null, Recall(found, truth, a.K), qps));
                }

                results.Add(cold);
            }

            var warm = new SystemResult($"VexFs HnswIndex {name}, floats on the device (page cache warm)", build, 0, cached.MemoryBytes, parameters);
            MeasureEveryEf(warm, queries.Length, truth, a, (q, ef) => cached.Search(queries[q], a.K, ef));
            results.Add(warm);
            return results;
        }
        finally
        {
            if (a.Keep is null)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Writes back and drops the page cache (root only); false where that is not allowed.</summary>
    private static bool DropPageCache()
    {
        try
        {
            using (var sync = Process.Start("sync")!)
            {
                sync.WaitForExit();
            }

            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"  the page cache cannot be dropped here ({e.Message}): no cold run");
            return false;
        }
    }

    /// <summary>
    /// Searches restricted to 1% of the vectors (ids divisible by 100), by an id set and by a predicate, at
    /// every ef; the truth is an exact search over just those vectors.
    /// </summary>
    private static IEnumerable<SystemResult> RunFiltered(VectorSpace space, HnswIndex index, float[][] vectors, float[][] queries, AnnArguments a, long memory)
    {
        var admitted = Enumerable.Range(0, vectors.Length).Where(i => i % 100 == 0).Select(i => (long)i).ToArray();
        using var exact = new FlatIndex(space);
        foreach (var id in admitted)
        {
            exact.Add(id, vectors[id]);
        }

        var truth = queries.Select(q => exact.Search(q, a.K).Select(m => (int)m.Id).ToArray()).ToArray();
        var filters = new[]
        {
            (Name: "VexFs HnswIndex, filter admits 1% (VectorFilter.In)", Filter: VectorFilter.In(admitted)),
            (Name: "VexFs HnswIndex, filter admits 1% (VectorFilter.Where)", Filter: VectorFilter.Where(id => id % 100 == 0)),
        };
        foreach (var (name, filter) in filters)
        {
            var result = new SystemResult(name, 0, memory, index.MemoryBytes, new() { ["M"] = a.M, ["efConstruction"] = a.EfConstruction });
            MeasureEveryEf(result, queries.Length, truth, a, (q, ef) => index.Search(queries[q], a.K, ef, filter));

            yield return result;
        }
    }

    private static SystemResult RunFlat(VectorSpace space, float[][] vectors, float[][] queries, int[][] truth, AnnArguments a)
    {
        var before = ResidentBytes();
        var clock = Stopwatch.StartNew();
        using var index = new FlatIndex(space);
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(i, vectors[i]);
        }

        var build = clock.Elapsed.TotalSeconds;
        var memory = ResidentBytes() - before;
        var result = new SystemResult("VexFs FlatIndex (exact)", build, memory, (long)vectors.Length * space.Dimension * sizeof(float), []);
        var found = new VectorMatch[queries.Length][];
        WarmUp(queries.Length, q => index.Search(queries[q], a.K));
        var single = 0.0;
        for (var pass = 0; pass < 2; pass++)
        {
            single = Timed(queries.Length, 1, q => found[q] = index.Search(queries[q], a.K), MinimumTimed);
        }

        result.Runs.Add(new Measurement(0, 1, Recall(found, truth, a.K), single));
        var batch = queries.SelectMany(q => q).ToArray();
        var batchQps = 0.0;
        for (var pass = 0; pass < 2; pass++)
        {
            var clockBatch = Stopwatch.StartNew();
            found = index.SearchBatch(batch, a.K, Math.Max(2, a.Threads));
            batchQps = queries.Length / clockBatch.Elapsed.TotalSeconds;
        }
        result.Runs.Add(new Measurement(0, queries.Length, Recall(found, truth, a.K), batchQps));
        return result;
    }

    /// <summary>
    /// Searches for two seconds untimed, so that tiered compilation has finished (through its instrumented
    /// tier) before anything is measured.
    /// </summary>
    /// <summary>
    /// Measures <paramref name="search"/> (query number, ef) at every ef into <paramref name="result"/>: one warm-up
    /// at the largest ef, then per ef a pass that warms the caches for it and a timed one, and the recall.
    /// </summary>
    private static void MeasureEveryEf(SystemResult result, int queries, int[][] truth, AnnArguments a, Func<int, int, VectorMatch[]> search)
    {
        var found = new VectorMatch[queries][];
        WarmUp(queries, q => search(q, a.Ef.Max()));
        foreach (var ef in a.Ef)
        {
            var qps = 0.0;
            for (var pass = 0; pass < 2; pass++)
            {
                qps = Timed(queries, a.Threads, q => found[q] = search(q, Math.Max(ef, a.K)), MinimumTimed);
            }

            result.Runs.Add(new Measurement(ef, null, Recall(found, truth, a.K), qps));
        }
    }

    private static void WarmUp(int count, Action<int> search)
    {
        var clock = Stopwatch.StartNew();
        for (var q = 0; clock.Elapsed.TotalSeconds < 2; q = (q + 1) % count)
        {
            search(q);
        }
    }

    /// <summary>
    /// Queries per second over whole passes of the <paramref name="count"/> queries, repeated until
    /// <paramref name="minimum"/> has passed (one pass when it is zero, as a cold cache needs): a pass of a 1%
    /// directory takes a few milliseconds, where one collection or one preempted slice moves the figure by a quarter.
    /// </summary>
    private static double Timed(int count, int threads, Action<int> search, TimeSpan minimum)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        do
        {
            if (threads == 1)
            {
                for (var q = 0; q < count; q++)
                {
                    search(q);
                }
            }
            else
            {
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, search);
            }

            done += count;
        }
        while (clock.Elapsed < minimum);

        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The least time a warm figure is measured over.</summary>
    private static readonly TimeSpan MinimumTimed = TimeSpan.FromSeconds(0.5);

    private static double Recall(VectorMatch[][] found, int[][] truth, int k)
    {
        long hits = 0;
        for (var q = 0; q < found.Length; q++)
        {
            var expected = truth[q].Take(k).ToHashSet();
            hits += found[q].Take(k).Count(m => expected.Contains((int)m.Id));
        }

        return (double)hits / (found.Length * k);
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private sealed record Measurement(int Ef, int? Batch, double Recall, double Qps);

    private sealed class SystemResult(string system, double build, long memory, long indexBytes, Dictionary<string, int> parameters)
    {
        public string Name => system;

        public List<Measurement> Runs { get; } = [];

        public void Print(int k)
        {
            foreach (var run in Runs)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ef={run.Ef,4} recall@{k}={run.Recall:F4} qps={run.Qps:F0}"));
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  build {build:F1}s memory {memory / 1048576.0:F0} MiB (index arrays {indexBytes / 1048576.0:F0} MiB)"));
        }

        public void Write(Utf8JsonWriter json, AnnArguments a, VectorSpace space, int n, string dataset)
        {
            json.WriteStartObject();
            json.WriteString("system", system);
            json.WriteStartObject("params");
            foreach (var (name, value) in parameters)
            {
                json.WriteNumber(name, value);
            }

            json.WriteEndObject();
            json.WriteNumber("build_s", build);
            json.WriteNumber("memory_bytes", memory);
            json.WriteNumber("index_bytes", indexBytes);
            json.WriteString("dataset", dataset);
            json.WriteNumber("n", n);
            json.WriteNumber("dim", space.Dimension);
            json.WriteString("metric", space.Metric switch { VectorMetric.InnerProduct => "ip", VectorMetric.Cosine => "cos", _ => "l2" });
            json.WriteNumber("k", a.K);
            json.WriteNumber("threads", a.Threads);
            json.WriteNumber("build_threads", a.BuildThreads);
            json.WriteStartArray("runs");
            foreach (var run in Runs)
            {
                json.WriteStartObject();
                json.WriteNumber("ef", run.Ef);
                if (run.Batch is { } batch)
                {
                    json.WriteNumber("batch", batch);
                }

                json.WriteNumber("recall_at_10", run.Recall);
                json.WriteNumber("qps", run.Qps);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }
    }
}
