using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Core;
using VexFs.Format.Check;

namespace VexFs.Soak;

/// <summary>
/// One round: open the image (replaying its journal), run random operations on a device that fails some
/// operations with EIO or ENOSPC, cut the power at a random moment, then check that fsck finds the recovered
/// image clean and that every file flushed and not touched since is intact. The recovered image is the next
/// round's starting point.
/// </summary>
internal sealed class SoakRound(Random random, SoakTotals totals, string label, bool diskFull)
{
    private static readonly string[] Directories = ["/", "/a", "/b", "/a/c"];

    /// <summary>The content of each file as of the last flush that completed.</summary>
    private readonly Dictionary<string, byte[]> _durable = new(StringComparer.Ordinal);

    /// <summary>The content each file has now, as far as the operations that completed say.</summary>
    private readonly Dictionary<string, byte[]> _current = new(StringComparer.Ordinal);

    /// <summary>Files touched since the last flush (or by an operation that failed): either state may survive.</summary>
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);

    /// <summary>Files an operation failed on (ENOSPC from the device midway): what they hold is not known.</summary>
    private readonly HashSet<string> _unknown = new(StringComparer.Ordinal);

    private readonly Dictionary<string, byte[]> _survivors = new(StringComparer.Ordinal);

    private string _faults = "no faults injected";

    public MemoryBlockDevice Run(MemoryBlockDevice start, IReadOnlyDictionary<string, byte[]> durable)
    {
        foreach (var (path, content) in durable)
        {
            _durable[path] = content;
            _current[path] = content;
        }

        using var crash = new CrashSimulatingDevice(start);

        // ENOSPC under EIO, each on a third of the rounds, so that each kind is counted apart.
        using var full = new FaultInjectingDevice(crash, diskFull ? Rules(FaultKind.DiskFull, DeviceOperations.Write) : [], seed: random.Next(), leaveOpen: true);
        using var failing = new FaultInjectingDevice(full, Rules(FaultKind.IOError, DeviceOperations.Write | DeviceOperations.Flush), seed: random.Next(), leaveOpen: true);
        int operations = random.Next(5, 120);
        try
        {
            using var fs = VexFileSystem.Open(failing, new VexFileSystemOptions { MaxUnflushedOperations = random.Next(1, 64), CommitInterval = Timeout.InfiniteTimeSpan }, leaveOpen: true);
            for (int i = 0; i < operations && !fs.IsReadOnly; i++)
            {
                Step(fs);
            }
        }
        catch (IOException) when (full.FaultCount + failing.FaultCount > 0)
        {
            // An injected fault latched the instance (or failed its unmount); the power cut follows.
        }
        catch (Exception e)
        {
            totals.Failures.Add($"{label} ({_faults}): {e.GetType().Name} with {full.FaultCount + failing.FaultCount} faults injected: {e.Message}");
        }

        totals.InjectedDiskFull += full.FaultCount;
        totals.InjectedIOErrors += failing.FaultCount;
        _faults = $"{failing.FaultCount} EIO and {full.FaultCount} ENOSPC injected";
        totals.Cuts++;
        var image = crash.CrashImage(CrashPlan.Random(random.Next(), random.NextDouble(), tornProbability: 0.2));
        Recover(image);
        return image;
    }

    /// <summary>The files the recovered image holds: what the next round starts from.</summary>
    public IReadOnlyDictionary<string, byte[]> Survivors => _survivors;

    private void Step(VexFileSystem fs)
    {
        string directory = Directories[random.Next(Directories.Length)];
        string path = (directory == "/" ? string.Empty : directory) + "/f" + random.Next(8);
        var files = _current.Keys.ToList();
        var involved = new List<string>();
        totals.Operations++;
        try
        {
            switch (random.Next(10))
            {
                case 0 or 1 or 2:
                    involved.Add(path);
                    Write(fs, path);
                    break;
                case 3 when files.Count > 0:
                    string victim = files[random.Next(files.Count)];
                    involved.Add(victim);
                    _touched.Add(victim);
                    fs.Delete(victim);
                    _current.Remove(victim);
                    _unknown.Remove(victim);
                    break;
                case 4 when files.Count > 0:
                    string source = files[random.Next(files.Count)];
                    involved.AddRange([source, path]);
                    _touched.Add(source);
                    _touched.Add(path);
                    fs.Move(source, path, overwrite: true);
                    if (source != path)
                    {
                        _current[path] = _current[source];
                        _current.Remove(source);
                        if (!_unknown.Remove(source))
                        {
                            _unknown.Remove(path);
                        }
                        else
                        {
                            _unknown.Add(path);
                        }
                    }

                    break;
                case 5 when directory != "/":
                    fs.CreateDirectory(directory);
                    break;
                case 6 or 7:
                    totals.Flushes++;
                    fs.Flush();
                    _durable.Clear();
                    foreach (var (file, content) in _current.Where(kv => !_unknown.Contains(kv.Key)))
                    {
                        _durable[file] = content;
                    }

                    _touched.Clear();
                    break;
                default:
                    involved.Add(path);
                    Write(fs, path);
                    break;
            }
        }
        catch (IOException) when (!fs.IsReadOnly)
        {
            // A refusal (a missing parent, an existing directory, ENOSPC): the instance goes on; what the
            // operation left of its files is not known.
            totals.Refusals++;
            _unknown.UnionWith(involved);
        }
    }

    private void Write(VexFileSystem fs, string path)
    {
        _touched.Add(path);
        var content = new byte[random.Next(0, 20_000)];
        random.NextBytes(content);
        using (var stream = fs.OpenFile(path, FileMode.Create))
        {
            stream.Write(content);
        }

        _unknown.Remove(path);

        _current[path] = content;
    }

    private List<FaultRule> Rules(FaultKind kind, DeviceOperations operations) =>
        random.Next(3) == 0 ? [FaultRule.WithProbability(0.002, kind, operations)] : [];

    private byte[]? Read(VexFileSystem fs, string path)
    {
        try
        {
            using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            return content;
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            totals.Failures.Add($"{label} ({_faults}): {path} cannot be read after the cut: {e.Message}");
            return null;
        }
    }

    private void Recover(MemoryBlockDevice image)
    {
        try
        {
            using (var fs = VexFileSystem.Open(image, leaveOpen: true))
            {
                totals.Recoveries++;
                foreach (string directory in Directories)
                {
                    for (int f = 0; f < 8; f++)
                    {
                        string path = (directory == "/" ? string.Empty : directory) + "/f" + f;
                        if (Read(fs, path) is { } content)
                        {
                            _survivors[path] = content;
                        }
                    }
                }
            }
        }
        catch (IOException e)
        {
            totals.Failures.Add($"{label} ({_faults}): the image a power cut left does not open: {e.Message}");
        }

        foreach (var (path, content) in _durable.Where(kv => !_touched.Contains(kv.Key)))
        {
            totals.DurableFilesChecked++;
            if (!_survivors.TryGetValue(path, out var read))
            {
                totals.Failures.Add($"{label} ({_faults}): {path}, flushed and not touched since, is gone after the cut");
            }
            else if (!read.AsSpan().SequenceEqual(content))
            {
                totals.Failures.Add($"{label} ({_faults}): {path}, flushed and not touched since, differs after the cut ({read.Length} bytes, {content.Length} flushed)");
            }
        }

        var report = FileSystemChecker.Check(image, new CheckOptions { Force = true });
        if (report.IsClean)
        {
            totals.FsckClean++;
            return;
        }

        totals.FsckUnclean++;
        totals.Failures.Add($"{label} ({_faults}): fsck after recovery: {string.Join("; ", report.Findings.Take(3))}");
        FileSystemChecker.Check(image, new CheckOptions { Force = true, Repair = true });
    }
}
