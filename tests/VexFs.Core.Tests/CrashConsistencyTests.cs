using FsCheck.Xunit;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// Random workloads on the crash-simulating device, with a power cut at every flush (with reordered and
/// torn unflushed writes): after recovery fsck is clean, everything flushed is there, and the tree is the one
/// left by a prefix of the completed operations.
/// </summary>
public sealed class CrashConsistencyTests
{
    [Property(MaxTest = 40)]
    public void Crashes_leave_a_prefix_of_the_operations_and_check_clean(int seed)
    {
        var random = new Random(seed);
        using var device = new CrashSimulatingDevice(24L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 256 << 10 });
        device.Flush();
        var fs = VexFileSystem.Open(device, new VexFileSystemOptions { MaxUnflushedOperations = random.Next(1, 6) }, leaveOpen: true);
        var model = new SortedDictionary<string, byte[]?>(StringComparer.Ordinal) { ["/lost+found"] = null };
        var states = new List<string> { CrashOracle.Describe(model) };
        int durable = 0;
        string? inFlight = null;
        int crashes = 0;
        var log = new List<string>();
        device.Flushing += (_, _) =>
        {
            using var image = device.CrashImage(CrashPlan.Random(random.Next(), random.NextDouble(), tornProbability: 0.3));
            string recovered;
            using (var after = VexFileSystem.Open(image, leaveOpen: true))
            {
                recovered = CrashOracle.Snapshot(after);
            }

            var report = FileSystemChecker.Check(image, new CheckOptions { Force = true });
            Assert.True(report.IsClean, $"seed {seed}: fsck after recovery: {string.Join("; ", report.Findings)}");
            var allowed = states.Skip(durable).Append(inFlight);
            Assert.True(allowed.Contains(recovered), $"seed {seed}: recovered a tree no prefix of the {states.Count - 1} completed operations left (durable: {durable})\nRECOVERED:\n{recovered}\nSTATES:\n{string.Join("\n--\n", allowed)}\nOPS:\n{string.Join("\n", log)}");
            crashes++;
        };

        int operations = random.Next(10, 40);
        for (int i = 0; i < operations; i++)
        {
            var next = new SortedDictionary<string, byte[]?>(model, StringComparer.Ordinal);
            var directories = model.Where(kv => kv.Value is null).Select(kv => kv.Key).Append("/").ToList();
            var files = model.Where(kv => kv.Value is not null).Select(kv => kv.Key).ToList();
            string parent = directories[random.Next(directories.Count)];
            string path = (parent == "/" ? string.Empty : parent) + "/" + $"e{random.Next(6)}";
            Action? act = null;
            string? intermediate = null;
            Action? first = null;
            switch (random.Next(8))
            {
                case 0 when !model.ContainsKey(path):
                    next[path] = null;
                    act = () => fs.CreateDirectory(path);
                    break;
                case 1 when !model.ContainsKey(path):
                    // Two operations: the create, then the write.
                    var content = Patterns.Random(random.Next(1, 9000), random.Next());
                    var created = new SortedDictionary<string, byte[]?>(model, StringComparer.Ordinal) { [path] = [] };
                    intermediate = CrashOracle.Describe(created);
                    VexFileStream? stream = null;
                    first = () => stream = fs.OpenFile(path, FileMode.CreateNew);
                    next[path] = content;
                    act = () =>
                    {
                        stream!.Write(content);
                        stream.Dispose();
                    };
                    break;
                case 2 when files.Count > 0:
                    string victim = files[random.Next(files.Count)];
                    next.Remove(victim);
                    act = () => fs.Delete(victim);
                    break;
                case 3 when files.Count > 0 && !model.ContainsKey(path):
                    string moved = files[random.Next(files.Count)];
                    next[path] = next[moved];
                    next.Remove(moved);
                    act = () => fs.Move(moved, path);
                    break;
                case 4 when files.Count > 0:
                    string truncated = files[random.Next(files.Count)];
                    int length = random.Next(0, 5000);
                    var old = model[truncated]!;
                    next[truncated] = old.Length >= length ? old[..length] : [.. old, .. new byte[length - old.Length]];
                    act = () =>
                    {
                        using var stream = fs.OpenFile(truncated, FileMode.Open);
                        stream.SetLength(length);
                    };
                    break;
                case 5:
                    act = fs.Flush;
                    break;
                case 6 when files.Count > 1:
                    string replacement = files[random.Next(files.Count)];
                    string replaced = files[random.Next(files.Count)];
                    if (replacement != replaced)
                    {
                        next[replaced] = next[replacement];
                        next.Remove(replacement);
                        act = () => fs.Move(replacement, replaced, overwrite: true);
                    }

                    break;
            }

            if (act is null)
            {
                continue;
            }

            if (first is not null)
            {
                inFlight = intermediate;
                first();
                states.Add(intermediate!);
            }

            inFlight = CrashOracle.Describe(next);
            log.Add($"{i}: {act.Method.Name} {path} -> {inFlight.Replace('\n', ' ')}");
            act();
            model = next;
            states.Add(inFlight);
            if (act == fs.Flush)
            {
                durable = states.Count - 1;
            }
        }

        fs.Dispose();
        Assert.True(crashes > 0);
        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using var reopened = VexFileSystem.Open(device, leaveOpen: true);
        Assert.Equal(states[^1], CrashOracle.Snapshot(reopened));
    }
}
