using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;

namespace VexFs.Core.Tests;

/// <summary>
/// A power cut at every device write of a clean unmount (its commit, its checkpoint, its orphan cleanup and
/// the clean superblock), and of the checkpoints a small journal forces while a workload runs: each image,
/// judged by <see cref="CrashOracle"/>, is one the contract allows, whoever recovers it first.
/// </summary>
public sealed class UnmountCrashTests
{
    private static int Seeds => int.TryParse(Environment.GetEnvironmentVariable("VEXFS_UNMOUNT_CRASH_SEEDS"), out int n) ? n : 6;

    public static TheoryData<int> Workloads() => [.. Enumerable.Range(1, Seeds)];

    [Theory]
    [MemberData(nameof(Workloads))]
    public void A_cut_at_any_write_of_an_unmount_or_checkpoint_recovers_to_an_allowed_state(int seed)
    {
        var random = new Random(seed);
        using var device = new CrashSimulatingDevice(16L << 20);
        // A journal of 64 blocks fills within a few commits, so that checkpoints run during the workload too.
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 64 << 10 });
        device.Flush();
        var fs = VexFileSystem.Open(device, new VexFileSystemOptions { MaxUnflushedOperations = 1000, CommitInterval = TimeSpan.FromDays(1) }, leaveOpen: true);
        var states = new List<string> { CrashOracle.Snapshot(fs) };
        int durable = 0;
        var problems = new List<string>();
        int images = 0;
        int unmountImages = 0;
        bool unmounting = false;
        device.Flushing += (_, _) =>
        {
            // Every prefix of the writes since the last flush (a cut at each write, in order), and a few
            // reordered subsets with torn sectors.
            int pending = device.PendingWrites.Count;
            var plans = Enumerable.Range(0, pending + 1).Select(CrashPlan.Prefix)
                .Concat(Enumerable.Range(0, 3).Select(i => CrashPlan.Random(random.Next(), 0.5 + (i * 0.2), tornProbability: 0.3)));
            var allowed = states.Skip(durable).ToList();
            foreach (var plan in plans)
            {
                images++;
                unmountImages += unmounting ? 1 : 0;
                using var image = device.CrashImage(plan);
                if (problems.Count < 3 && CrashOracle.Judge(image, allowed) is { } problem)
                {
                    problems.Add($"seed {seed}, {plan}, {pending} writes pending: {problem}");
                }
            }
        };

        VexFileStream? unlinkedButOpen = null;
        for (int i = 0; i < 24; i++)
        {
            string name = $"/f{random.Next(8)}";
            switch (random.Next(6))
            {
                case 0 when !fs.Exists("/d"):
                    fs.CreateDirectory("/d");
                    break;
                case 1 or 2:
                    using (var stream = fs.OpenFile(name, FileMode.Create))
                    {
                        stream.Write(Patterns.Random(random.Next(1, 6000), random.Next()));
                    }

                    break;
                case 3 when fs.Exists(name):
                    fs.Move(name, fs.Exists("/d") ? "/d" + name : name + "m", overwrite: true);
                    break;
                case 4 when fs.Exists(name) && unlinkedButOpen is null:
                    // Deleted while open: an orphan that the unmount reclaims.
                    unlinkedButOpen = fs.OpenFile(name, FileMode.Open);
                    fs.Delete(name);
                    break;
                case 5:
                    fs.Flush();
                    durable = states.Count - 1;
                    continue;
                default:
                    continue;
            }

            states.Add(CrashOracle.Snapshot(fs));
        }

        unmounting = true;
        fs.Dispose();
        // Some workloads are short (a seed may draw few operations that write), but every one ends in an
        // unmount that writes: its commit, checkpoint, journal reset and clean superblock were all cut.
        Assert.True(unmountImages >= 8, $"only {unmountImages} crash images were cut inside the unmount ({images} in all)");
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }
}
