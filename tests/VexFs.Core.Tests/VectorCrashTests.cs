using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Vectors;

namespace VexFs.Core.Tests;

/// <summary>
/// A power cut at every device write of a workload that sets, replaces and removes vectors among creates,
/// renames and deletes: after recovery the files and their vectors are together one of the states a prefix of
/// the operations left (never a vector without its file, never one lost that a flush made durable), the index
/// (built from the rows, or loaded as saved part-way through the workload and caught up) answers for exactly
/// them, and fsck is clean.
/// </summary>
public sealed class VectorCrashTests
{
    private const int Dimension = 8;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_cut_at_any_write_recovers_files_and_vectors_together(int seed)
    {
        var random = new Random(seed);
        using var device = new CrashSimulatingDevice(16L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 64 << 10 });
        device.Flush();
        var fs = VexFileSystem.Open(device, new VexFileSystemOptions { MaxUnflushedOperations = 1000, CommitInterval = TimeSpan.FromDays(1) }, leaveOpen: true);
        var states = new List<string> { State(fs) };
        int durable = 0;
        var problems = new List<string>();
        int images = 0, loaded = 0;
        device.Flushing += (_, _) =>
        {
            int pending = device.PendingWrites.Count;
            var plans = Enumerable.Range(0, pending + 1).Select(CrashPlan.Prefix)
                .Concat(Enumerable.Range(0, 2).Select(i => CrashPlan.Random(random.Next(), 0.5 + (i * 0.3), tornProbability: 0.3)));
            var allowed = states.Skip(durable).ToHashSet();
            foreach (var plan in plans)
            {
                images++;
                using var image = device.CrashImage(plan);
                string? problem = Judge(image, allowed, out bool fromSave);
                if (problem is not null && problems.Count < 3)
                {
                    problems.Add($"seed {seed}, {plan}, {pending} writes pending: {problem}");
                }

                loaded += fromSave ? 1 : 0;
            }
        };

        fs.CreateVectorSpace("v", Dimension, VectorMetric.L2);
        states.Add(State(fs));
        for (int i = 0; i < 30; i++)
        {
            string name = $"/f{random.Next(6)}";
            switch (random.Next(8))
            {
                case 0 or 1:
                    // Rewritten whole (new blocks), so the content changes atomically with its metadata.
                    using (var stream = fs.OpenFile(name, FileMode.Create))
                    {
                        stream.WriteByte((byte)i);
                    }

                    states.Add(State(fs));
                    fs.SetVector(name, "v", Vector(random));
                    break;
                case 2 when fs.Exists(name):
                    fs.RemoveVector(name, "v");
                    break;
                case 3 when fs.Exists(name):
                    fs.Delete(name);
                    break;
                case 4 when fs.Exists(name):
                    fs.Move(name, $"/f{random.Next(6)}", overwrite: true);
                    break;
                case 5:
                    fs.Flush();
                    durable = states.Count - 1;
                    continue;
                case 6:
                    // Saves the index (its pages straight to free blocks, then one transaction): the opens that
                    // follow load it and catch up from the rows marked as changed since.
                    fs.SaveVectorIndexes();
                    durable = states.Count - 1;
                    continue;
                default:
                    continue;
            }

            states.Add(State(fs));
        }

        fs.Dispose();
        Assert.True(images >= 20, $"only {images} crash images");
        Assert.True(loaded > 0, "no recovery loaded a saved index");
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    /// <summary>Every file with its content and its vector (or none), as text.</summary>
    private static string State(VexFileSystem fs)
    {
        var lines = new List<string>();
        foreach (var entry in fs.EnumerateEntries("/").OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            string path = "/" + entry.Name;
            if (entry.Type != Format.Records.UnixFileType.RegularFile)
            {
                continue;
            }

            using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            var vector = fs.GetVectorSpaces().Count == 0 ? null : fs.GetVector(path, "v");
            lines.Add($"{path} {Convert.ToHexString(content)} {(vector is null ? "-" : string.Join(',', vector))}");
        }

        return string.Join('\n', lines);
    }

    private static string? Judge(MemoryBlockDevice image, HashSet<string> allowed, out bool loaded)
    {
        loaded = false;
        try
        {
            using (var fs = VexFileSystem.Open(image, leaveOpen: true))
            {
                string state = State(fs);
                if (!allowed.Contains(state))
                {
                    return $"a state no prefix of the operations left:\n{state}\nallowed:\n{string.Join("\n--\n", allowed)}";
                }

                // The index answers for exactly the stored vectors: each file's own vector is its nearest.
                if (fs.GetVectorSpaces().Count > 0)
                {
                    loaded = fs.GetVectorSpaces()[0].IndexLoaded;
                    foreach (var entry in fs.EnumerateEntries("/"))
                    {
                        if (fs.GetVector("/" + entry.Name, "v") is { } vector && fs.Search("/", "v", vector, 1, new VexSearchOptions { Exact = true })[0].Distance != 0)
                        {
                            return $"/{entry.Name}'s vector is not in the index";
                        }
                    }

                    int stored = fs.EnumerateEntries("/").Count(e => fs.GetVector("/" + e.Name, "v") is not null);
                    if (fs.GetVectorSpaces()[0].Count != stored)
                    {
                        return $"the space counts {fs.GetVectorSpaces()[0].Count} vectors, the files carry {stored}";
                    }
                }
            }

            var report = FileSystemChecker.Check(image, new CheckOptions { Force = true });
            return report.IsClean && report.Findings.Count == 0 ? null : $"fsck -n -f after recovery: {string.Join("; ", report.Findings)} {report.OperationalError}";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"recovery failed with {e}";
        }
    }

    private static float[] Vector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.Next(-100, 100))];
}
