using System.Globalization;
using System.Text.Json;
using VexFs.Bench.Devices;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// <c>fs</c>: the same file workloads on VexFS, through the library on an image file, and on ext4, mounted from
/// a loop device over an image of the same size (fio for streaming, System.IO for metadata), in one run,
/// printed as a table of ratios and saved as JSON.
/// </summary>
internal static class FsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        FsArguments options;
        try
        {
            options = FsArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"fs: {e.Message}");
            Console.Error.WriteLine($"usage: VexFs.Bench {FsArguments.Usage}");
            return 2;
        }

        long startRss = PeakMemory.Peak();
        string loadBefore = LoadAverage();
        long imageSize = new FileInfo(options.Image).Length;
        var comparisons = new List<Comparison>();
        string access;
        using (var vex = VexTarget.Format(options.Image))
        {
            access = vex.IsDirect ? "O_DIRECT" : "buffered: the host refused O_DIRECT";
            var ext4 = new MountedTarget(options.Ext4Device, options.Ext4Mount);
            var host = options.HostDirectory is { } directory ? new FioStreams("host", directory, options.StreamSize, options.Seconds) : null;
            Streaming(options, host, new FioStreams("ext4", ext4.MountPoint, options.StreamSize, options.Seconds), new VexStreams(vex, options.StreamSize, options.Seconds, options.Cap), comparisons);
            Metadata(options, ext4, vex, comparisons);
        }

        string loadAfter = LoadAverage();
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"Files: VexFS through the library on a {Gibibytes(imageSize)} image file ({access}) vs ext4 (defaults: data=ordered, 4 KiB blocks) on a loop device (direct I/O) over an image of the same size, same host filesystem."),
            "One request at a time on both sides (but for the 4-thread row); ext4's streaming by fio (psync, iodepth 1, direct=1, fallocate=none, end_fsync=1 for writes), its metadata through System.IO. VexFS's streaming requests come from 4 KiB-aligned memory, as fio's do.",
            string.Create(CultureInfo.InvariantCulture, $"Before the metadata rows, each side runs every metadata workload once, untimed, on {MetadataWorkload.WarmUpFiles:#,0} files of a scratch directory (steady state: the library's code past the JIT's first tiers)."),
            string.Create(CultureInfo.InvariantCulture, $"{(options.Repeats > 1 ? $"Median of {options.Repeats} runs" : "One run")} for streaming, warm stat and warm list; create+fsync, delete, create and the cold rows run once. Cold: ext4 unmounted and mounted again, VexFS disposed and opened again."),
            string.Empty,
        };
        lines.AddRange(ResultTable.Format(comparisons));
        lines.Add(string.Empty);
        lines.Add("host file: the same fio job on a plain file of the host filesystem that holds both images, the ceiling for both sides (ext4 adds the loop device, whose worker thread each request waits for).");
        lines.Add("peer RSS: fio's peak (largest of its runs) for streaming rows, this process's peak while it drove ext4 through System.IO for metadata rows; ext4's own memory (page, dentry and inode caches in the kernel) is not counted.");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"VexFS RSS: this process's peak while the library did the work (the runtime and harness alone: {Mebibytes(startRss)} MiB before any workload). alloc/op: managed bytes allocated per request (1 MiB for sequential rows) or per operation."));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} processors; load average before {loadBefore}, after {loadAfter}."));
        lines.ForEach(Console.WriteLine);

        if (options.Out is { } output)
        {
            Directory.CreateDirectory(output);
            File.WriteAllLines(Path.Join(output, "fs.md"), lines);
            File.WriteAllText(Path.Join(output, "fs.json"), Json(options, imageSize, startRss, [loadBefore, loadAfter], comparisons));
            Console.WriteLine($"Saved {Path.Join(output, "fs.json")} and fs.md");
        }

        return 0;
    }

    private static void Streaming(FsArguments options, FioStreams? host, FioStreams fio, VexStreams ours, List<Comparison> comparisons)
    {
        string file = Gibibytes(options.StreamSize) + " file";
        string random = string.Create(CultureInfo.InvariantCulture, $"{options.Seconds:0.#} s over the {file}");
        var rows = new (IoPattern Pattern, string Workload, string Size, string Unit, double Scale, int Request)[]
        {
            (IoPattern.Write, "sequential write (new file)", file + ", 1 MiB requests", "MB/s", 1e6, StreamTarget.SequentialBlock),
            (IoPattern.Read, "sequential read", file + ", 1 MiB requests", "MB/s", 1e6, StreamTarget.SequentialBlock),
            (IoPattern.RandRead, "random read 4 KiB", random, "IOPS", 1, 1),
            (IoPattern.RandWrite, "random write 4 KiB (overwrite)", random, "IOPS", 1, 1),
        };
        foreach (var row in rows)
        {
            Console.Error.WriteLine($"fs: {row.Workload}");
            comparisons.Add(Measure(
                new Comparison(row.Workload, row.Size, row.Unit, row.Scale),
                options.Repeats,
                new Side(() => fio.Measure(row.Pattern), Fio: true),
                new Side(() => ours.Measure(row.Pattern), Request: row.Request),
                host is null ? null : new Side(() => host.Measure(row.Pattern), Fio: true)));
        }

        host?.Remove();
        fio.Remove();
        ours.Remove();
    }

    private static void Metadata(FsArguments options, MountedTarget ext4, VexTarget vex, List<Comparison> comparisons)
    {
        var theirs = new MetadataWorkload(ext4, options.Files, options.Entries, options.Cap);
        var ours = new MetadataWorkload(vex, options.Files, options.Entries, options.Cap);
        string files = string.Create(CultureInfo.InvariantCulture, $"{options.Files:#,0} empty files, one directory");
        string entries = string.Create(CultureInfo.InvariantCulture, $"{options.Entries:#,0} empty files, one directory");

        void Add(string workload, string size, string unit, int repeats, Func<MetadataWorkload, Run> run, bool cold = false)
        {
            Console.Error.WriteLine($"fs: {workload}");
            comparisons.Add(Measure(
                new Comparison(workload, size, unit, 1),
                repeats,
                new Side(() => run(theirs), Prepare: cold ? ext4.DropCaches : null),
                new Side(() => run(ours), Prepare: cold ? vex.DropCaches : null)));
        }

        Console.Error.WriteLine("fs: metadata warm-up (untimed)");
        theirs.WarmUp();
        ours.WarmUp();
        Add("create + fsync each", files, "files/s", 1, w => w.CreateDurably());
        Add("stat, cold caches", files, "files/s", 1, w => w.Stat(), cold: true);
        Add("stat, warm", files, "files/s", options.Repeats, w => w.Stat());
        Add("delete, then sync the directory", files, "files/s", 1, w => w.Delete());
        Add("create + fsync each, 4 threads", files, "files/s", 1, w => w.CreateDurablyInParallel(4));
        Add("create (no fsync), then sync", entries, "files/s", 1, w => w.Populate());
        string listed = string.Create(CultureInfo.InvariantCulture, $"{Math.Min(theirs.Populated, ours.Populated):#,0}-entry directory");
        Add("list, cold caches", listed, "entries/s", 1, w => w.List(), cold: true);
        Add("list, warm", listed, "entries/s", options.Repeats, w => w.List());
    }

    /// <summary>
    /// Runs the host reference (if any), the ext4 side, then the VexFS side, <paramref name="repeats"/> times. A
    /// failure on the VexFS side is noted in the row and ends its runs; the peers' failures end the benchmark.
    /// </summary>
    private static Comparison Measure(Comparison row, int repeats, Side ext4, Side ours, Side? host = null)
    {
        bool failed = false;
        long allocated = 0, requests = 0;
        for (int i = 0; i < repeats; i++)
        {
            if (host is not null)
            {
                row.Host.Add(host.Run().Rate / row.Scale);
            }

            ext4.Prepare?.Invoke();
            PeakMemory.Reset();
            var peer = ext4.Run();
            row.Ext4PeakRss = Math.Max(row.Ext4PeakRss, ext4.Fio ? Native.ChildrenPeakRss() : PeakMemory.Peak());
            row.Ext4.Add(peer.Rate / row.Scale);
            NoteCap(row, "ext4", peer);
            if (failed)
            {
                continue;
            }

            Run run;
            try
            {
                ours.Prepare?.Invoke();
                PeakMemory.Reset();
                long before = GC.GetTotalAllocatedBytes(precise: true);
                run = ours.Run();
                allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                row.Notes.Add($"VexFS failed: {e.GetType().Name}: {e.Message}");
                failed = true;
                continue;
            }

            requests += run.Done / ours.Request;
            row.OursPeakRss = Math.Max(row.OursPeakRss, PeakMemory.Peak());
            row.Ours.Add(run.Rate / row.Scale);
            NoteCap(row, "VexFS", run);
        }

        row.OursAllocatedPerUnit = requests == 0 ? 0 : allocated / (double)requests;
        return row;
    }

    private static void NoteCap(Comparison row, string side, Run run)
    {
        if (run.Capped)
        {
            row.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{side} capped: {run.Done:#,0} of {run.Asked:#,0} in {run.Seconds:0} s"));
        }
    }

    private static string Json(FsArguments options, long imageSize, long startRss, string[] load, List<Comparison> comparisons) => JsonSerializer.Serialize(
        new
        {
            kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            processors = Environment.ProcessorCount,
            loadAverage = load,
            imageBytes = imageSize,
            streamBytes = options.StreamSize,
            randomSeconds = options.Seconds,
            files = options.Files,
            entries = options.Entries,
            capSeconds = options.Cap.TotalSeconds,
            repeats = options.Repeats,
            startRssBytes = startRss,
            rows = comparisons.Select(c => new
            {
                workload = c.Workload,
                size = c.Size,
                unit = c.Unit,
                hostFile = c.Host,
                ext4 = c.Ext4,
                vexfs = c.Ours,
                ext4Median = c.Ext4Median,
                vexfsMedian = c.OursMedian,
                ratio = c.Ratio,
                peerPeakRssBytes = c.Ext4PeakRss,
                vexfsPeakRssBytes = c.OursPeakRss,
                vexfsAllocatedBytesPerOperation = c.OursAllocatedPerUnit,
                notes = c.Notes,
            }),
        },
        Indented);

    private static string Gibibytes(long bytes) => bytes % (1L << 30) == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes >> 30} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes >> 20} MiB");

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);

    private static string Mebibytes(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>One side of a comparison: what to time, what to do untimed before it, and how to count its work.</summary>
    private sealed record Side(Func<Run> Run, Action? Prepare = null, bool Fio = false, int Request = 1);
}
