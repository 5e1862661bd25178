using System.CommandLine;
using System.Globalization;
using VexFs.BlockDevices;
using VexFs.Format.Check;

namespace FsckVexfs;

/// <summary>
/// fsck.vexfs, in the manner of e2fsck: -n checks without writing, -p/-a and -y repair, -f forces a check of
/// a clean filesystem, -v prints what was found, -C 0 shows progress; exit status as fsck(8) defines it.
/// </summary>
internal static class FsckCommand
{
    private static readonly string[] PassNames =
    [
        string.Empty,
        "Pass 1: Checking inodes, blocks, and sizes",
        "Pass 2: Checking directory structure",
        "Pass 3: Checking directory connectivity",
        "Pass 4: Checking reference counts",
        "Pass 5: Checking group summary information",
    ];

    public static int Run(string[] args)
    {
        var device = new Argument<string>("device") { Description = "The block device or image file to check." };
        var no = new Option<bool>("-n") { Description = "Check only; open the device read-only and answer no to every repair." };
        var yes = new Option<bool>("-y") { Description = "Repair everything found." };
        var preen = new Option<bool>("-p", "-a") { Description = "Repair automatically (preen)." };
        var force = new Option<bool>("-f") { Description = "Check even if the filesystem seems clean." };
        var verbose = new Option<bool>("-v") { Description = "Print every finding and the statistics." };
        var progressFd = new Option<int?>("-C") { Description = "Show progress (0: on standard output)." };
        var root = new RootCommand("fsck.vexfs: check and repair a VexFS filesystem.") { device, no, yes, preen, force, verbose, progressFd };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.Action is not null)
        {
            // --help or --version: the parser's own action prints it.
            return parsed.Invoke();
        }

        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"fsck.vexfs: {parsed.Errors[0].Message}");
            return CheckReport.ExitUsage;
        }

        bool repair = parsed.GetValue(yes) || parsed.GetValue(preen);
        if (repair && parsed.GetValue(no))
        {
            Console.Error.WriteLine("fsck.vexfs: only one of -n, -y and -p may be given");
            return CheckReport.ExitUsage;
        }

        string path = parsed.GetValue(device)!;
        try
        {
            using var target = BlockDevice.Open(path, readOnly: !repair);
            int lastPass = 0;
            bool showProgress = parsed.GetValue(progressFd) == 0;
            var progress = new SynchronousProgress(p =>
            {
                if (p.Pass != lastPass)
                {
                    lastPass = p.Pass;
                    Console.WriteLine(PassNames[p.Pass]);
                }
                else if (showProgress && p.Total > 0 && !Console.IsOutputRedirected)
                {
                    Console.Write(string.Create(CultureInfo.InvariantCulture, $"\r{p.Done * 100 / p.Total}%\r"));
                }
            });
            var report = FileSystemChecker.Check(target, new CheckOptions { Repair = repair, Force = parsed.GetValue(force), Progress = progress });
            Print(path, report, parsed.GetValue(verbose));
            if (report.DroppedIndexes.Count > 0 && report.IsClean)
            {
                target.Dispose();
                IndexRebuild.Run(path, report.DroppedIndexes);
            }

            return report.ExitCode;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"fsck.vexfs: {e.Message}");
            return CheckReport.ExitOperationalError;
        }
    }

    private static void Print(string path, CheckReport report, bool verbose)
    {
        if (report.OperationalError is not null)
        {
            Console.Error.WriteLine($"fsck.vexfs: {report.OperationalError}");
            return;
        }

        foreach (var finding in report.Findings.Take(verbose ? int.MaxValue : 50))
        {
            Console.WriteLine(finding);
        }

        if (!verbose && report.Findings.Count > 50)
        {
            Console.WriteLine($"... and {report.Findings.Count - 50} more (use -v to see all)");
        }

        if (report.OrphansReleased > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"released {report.OrphansReleased} files that were unlinked while open (the orphan list)"));
        }

        if (report.Modified)
        {
            Console.WriteLine($"\n{path}: ***** FILE SYSTEM WAS MODIFIED *****");
        }

        string state = report.SkippedClean ? "clean, " : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: {state}{report.InodesUsed}/{report.InodeCount} files, {report.BlocksUsed}/{report.BlockCount} blocks"));
        if (verbose && !report.SkippedClean)
        {
            Console.WriteLine($"{report.Files,12} regular files");
            Console.WriteLine($"{report.Directories,12} directories");
            Console.WriteLine($"{report.Vectors,12} vectors");
            Console.WriteLine($"{report.SavedIndexes,12} saved vector indexes verified");
        }
    }

    /// <summary>Reports on the calling thread, so that pass headings print in order.</summary>
    private sealed class SynchronousProgress(Action<CheckProgress> report) : IProgress<CheckProgress>
    {
        public void Report(CheckProgress value) => report(value);
    }
}
