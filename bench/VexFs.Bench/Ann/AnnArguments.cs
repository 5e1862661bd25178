using System.Globalization;

namespace VexFs.Bench.Ann;

/// <summary>The options of the <c>ann</c> command, named as the peer scripts name them.</summary>
internal sealed record AnnArguments(
    string Dataset, int M, int EfConstruction, int[] Ef, int Threads, int BuildThreads, int K, string[] Systems, string? Out, string? Keep)
{
    public static AnnArguments Parse(string[] args)
    {
        string? dataset = null, output = null, keep = null;
        int m = 16, efc = 200, threads = 1, buildThreads = 1, k = 10;
        int[] ef = [10, 16, 32, 64, 128];
        string[] systems = ["hnsw", "hnsw-int8", "hnsw-int8-device", "hnsw-int8-owner", "flat", "fs", "fs-device"];
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                dataset = dataset is null ? arg : throw new ArgumentException($"unexpected argument {arg}");
                continue;
            }

            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--M": m = Positive(arg, value); break;
                case "--efc": efc = Positive(arg, value); break;
                case "--ef": ef = [.. value.Split(',').Select(v => Positive(arg, v))]; break;
                case "--threads": threads = Positive(arg, value); break;
                case "--build-threads": buildThreads = Positive(arg, value); break;
                case "--k": k = Positive(arg, value); break;
                case "--systems": systems = value.Split(','); break;
                case "--out": output = value; break;
                case "--keep": keep = Directory.Exists(value) ? value : throw new ArgumentException($"--keep needs an existing directory, not '{value}'"); break;
                default: throw new ArgumentException($"unknown option {arg}");
            }
        }

        return new AnnArguments(dataset ?? throw new ArgumentException("no dataset directory"), m, efc, ef, threads, buildThreads, k, systems, output, keep);
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} needs a positive integer, not '{value}'");
}
