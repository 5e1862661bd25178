using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace VexFs.Bench.Devices;

/// <summary>
/// <c>devices --image FILE [--raw DEVICE] [--nbd-qemu URI] [--nbd-kit URI] [--seconds S]</c>: BenchmarkDotNet
/// measures VexFS's image-file and raw devices and its NBD client on exports of qemu-nbd and nbdkit, fio measures
/// the same file, device and exports (its libnbd engine for those) in the same run, and a table gives the ratios;
/// a second table sets each NBD figure beside the local image's.
/// </summary>
internal static class DevicesCommand
{
    public static int Run(string[] args)
    {
        string? image = Option(args, "--image");
        string? raw = Option(args, "--raw");
        double seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        if (image is null || !File.Exists(image))
        {
            Console.Error.WriteLine("devices: --image must name an existing, filled image file");
            return 2;
        }

        BenchTargets.Paths[BenchTargets.ImageDirect] = image;
        if (raw is not null)
        {
            BenchTargets.Paths[BenchTargets.Raw] = raw;
        }

        foreach (var (option, target) in new[] { ("--nbd-qemu", BenchTargets.NbdQemu), ("--nbd-kit", BenchTargets.NbdKit) })
        {
            if (Option(args, option) is { } uri)
            {
                BenchTargets.Paths[target] = uri;
            }
        }

        using (var probe = BenchTargets.Open(BenchTargets.ImageDirect))
        {
            BenchTargets.Length = probe.Length;
        }

        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithIterationTime(TimeInterval.FromMilliseconds(seconds * 1000 / 6));
        var config = ManualConfig.CreateMinimumViable().AddJob(job).WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<DeviceIoBenchmarks>(config);

        var rows = new List<string>
        {
            "| target | pattern | block | VexFS MB/s | fio MB/s (median of 3; min-max) | VexFS / fio |",
            "| --- | --- | --- | ---: | ---: | ---: |",
        };
        var measured = new Dictionary<(string Target, IoPattern Pattern, int BlockSize), double>();
        foreach (var report in summary.Reports.Where(r => r.ResultStatistics is not null))
        {
            var parameters = report.BenchmarkCase.Parameters;
            string target = (string)parameters["Target"];
            var pattern = (IoPattern)parameters["Pattern"];
            int blockSize = (int)parameters["BlockSize"];
            double ours = blockSize / (report.ResultStatistics!.Mean * 1e-9);
            measured[(target, pattern, blockSize)] = ours;
            // The median of three fio runs: a virtual disk's speed wanders from one second to the next.
            var fioRuns = Enumerable.Range(0, 3).Select(_ => Fio.BytesPerSecond(BenchTargets.Paths[target], pattern, blockSize, BenchTargets.Length, seconds)).Order().ToList();
            double fio = fioRuns[1];
            rows.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"| {target} | {pattern.FioName()} | {(blockSize >= 1 << 20 ? $"{blockSize >> 20} MiB" : $"{blockSize >> 10} KiB")} | {ours / 1e6:0.0} | {fio / 1e6:0.0} ({fioRuns[0] / 1e6:0}-{fioRuns[2] / 1e6:0}) | {ours / fio:0.00} |"));
        }

        Console.WriteLine();
        Console.WriteLine($"Device I/O, one synchronous request at a time (fio: psync, iodepth 1, direct=1; on NBD exports its nbd engine, iodepth 1), {BenchTargets.Length >> 20} MiB target:");
        rows.ForEach(Console.WriteLine);

        var overNetwork = measured.Where(m => m.Key.Target is BenchTargets.NbdQemu or BenchTargets.NbdKit && measured.ContainsKey((BenchTargets.ImageDirect, m.Key.Pattern, m.Key.BlockSize))).ToList();
        if (overNetwork.Count > 0)
        {
            // One request at a time, each a round trip through the socket: the gap to the local image is that trip.
            Console.WriteLine();
            Console.WriteLine("VexFS over NBD (loopback) beside VexFS on the local image, one request at a time:");
            Console.WriteLine("| target | pattern | block | NBD MB/s | local image MB/s | NBD / local | extra time per request |");
            Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: | ---: |");
            foreach (var ((target, pattern, blockSize), nbd) in overNetwork)
            {
                double local = measured[(BenchTargets.ImageDirect, pattern, blockSize)];
                double extra = (blockSize / nbd) - (blockSize / local);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {target} | {pattern.FioName()} | {(blockSize >= 1 << 20 ? $"{blockSize >> 20} MiB" : $"{blockSize >> 10} KiB")} | {nbd / 1e6:0.0} | {local / 1e6:0.0} | {nbd / local:0.00} | {extra * 1e6:0} us |"));
            }
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
