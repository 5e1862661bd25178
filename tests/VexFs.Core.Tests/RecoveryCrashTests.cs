using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// A power cut at every write of a recovery: the journal's replay and the orphans' release done by the
/// library's open, and the same done by fsck -y. Whatever the cut keeps, the next recovery reaches the tree
/// the first one would have.
/// </summary>
public sealed class RecoveryCrashTests
{
    public static TheoryData<bool> Recoverers() => [true, false];

    [Theory]
    [MemberData(nameof(Recoverers))]
    public void A_cut_at_any_write_of_a_recovery_recovers_again_to_the_same_tree(bool byFsck)
    {
        using var crashed = CrashedImage(out string expected);
        using var device = new CrashSimulatingDevice(crashed);
        var problems = new List<string>();
        int images = 0;
        device.Flushing += (_, _) =>
        {
            int pending = device.PendingWrites.Count;
            foreach (var plan in Enumerable.Range(0, pending + 1).Select(CrashPlan.Prefix).Append(CrashPlan.Random(pending, 0.5, tornProbability: 0.3)))
            {
                images++;
                using var image = device.CrashImage(plan);
                if (problems.Count < 3 && CrashOracle.Judge(image, [expected]) is { } problem)
                {
                    problems.Add($"{plan}, {pending} writes pending: {problem}");
                }
            }
        };

        if (byFsck)
        {
            var report = FileSystemChecker.Check(device, new CheckOptions { Repair = true });
            Assert.Equal(CheckReport.ExitClean, report.ExitCode);
            Assert.True(report.Modified);
        }
        else
        {
            VexFileSystem.Open(device, leaveOpen: true).Dispose();
        }

        Assert.True(images > 10, $"only {images} crash images");
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    /// <summary>
    /// An image a power cut left with committed transactions in the journal and a file on the orphan list;
    /// <paramref name="expected"/> is the tree its recovery must reach.
    /// </summary>
    private static MemoryBlockDevice CrashedImage(out string expected)
    {
        using var device = new CrashSimulatingDevice(16L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 256 << 10 });
        device.Flush();
        var fs = VexFileSystem.Open(device, leaveOpen: true);
        fs.CreateDirectory("/d");
        for (int i = 0; i < 6; i++)
        {
            using var stream = fs.OpenFile($"/d/f{i}", FileMode.CreateNew);
            stream.Write(Patterns.Random(3000 + (i * 1000), i));
        }

        var open = fs.OpenFile("/d/f0", FileMode.Open);
        fs.Delete("/d/f0");
        fs.Move("/d/f1", "/g");
        fs.Flush();
        expected = CrashOracle.Snapshot(fs);
        open.Dispose();
        var image = device.DurableImage();
        fs.Dispose();
        return image;
    }
}
