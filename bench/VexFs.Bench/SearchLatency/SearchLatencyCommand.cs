using System.Diagnostics;
using System.Globalization;
using VexCtl;
using VexFs.BlockDevices;
using VexFs.Core;

namespace VexFs.Bench.SearchLatency;

/// <summary>
/// The latency of one top-k search of the root's subtree, through the library on an image (in this process) or
/// through the search ioctl of a mounted VexFS as vexctl makes it (open the directory, one ioctl, close), without
/// naming the hits: the same number of random queries of the space's dimension either way, after a warm-up;
/// prints the median, mean and 99th percentile in microseconds on one line.
/// </summary>
internal static class SearchLatencyCommand
{
    public const string Usage = "search-latency (--image FILE | --mounted DIR) --space NAME --dimension D [--queries 2000] [--k 10]";

    public static int Run(string[] args)
    {
        string? image = Option(args, "--image");
        string? mounted = Option(args, "--mounted");
        string? space = Option(args, "--space");
        if ((image is null) == (mounted is null) || space is null || !int.TryParse(Option(args, "--dimension"), CultureInfo.InvariantCulture, out int dimension) || dimension < 1)
        {
            Console.Error.WriteLine("usage: VexFs.Bench " + Usage);
            return 2;
        }

        int queries = int.Parse(Option(args, "--queries") ?? "2000", CultureInfo.InvariantCulture);
        int k = int.Parse(Option(args, "--k") ?? "10", CultureInfo.InvariantCulture);
        var random = new Random(20261205);
        var batch = Enumerable.Range(0, queries).Select(_ => Enumerable.Range(0, dimension).Select(_ => random.NextSingle()).ToArray()).ToArray();
        double[] micros;
        if (image is not null)
        {
            using var fs = VexFileSystem.Open(BlockDevice.Open(image, readOnly: true), new VexFileSystemOptions { ReadOnly = true });
            micros = Measure(batch, query => fs.Search("/", space, query, k).Count);
        }
        else
        {
            micros = Measure(batch, query => MountedVectors.SearchInodes(mounted!, space, query, k, VexSearchOptions.Default).Count);
        }

        Array.Sort(micros);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(image is not null ? "library" : "ioctl")} queries {queries} k {k} median_us {micros[micros.Length / 2]:F1} mean_us {micros.Average():F1} p99_us {micros[(int)(micros.Length * 0.99)]:F1}"));
        return 0;
    }

    private static double[] Measure(float[][] batch, Func<float[], int> search)
    {
        foreach (var query in batch.Take(Math.Min(200, batch.Length)))
        {
            search(query);
        }

        var micros = new double[batch.Length];
        for (int i = 0; i < batch.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            if (search(batch[i]) == 0)
            {
                throw new InvalidOperationException("a search found nothing: the space holds no vectors");
            }

            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        return micros;
    }

    private static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
