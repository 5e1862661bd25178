using System.Diagnostics;
using System.Security.Cryptography;
using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;
using VexFs.Vectors;

namespace VexFs.Core.Tests;

/// <summary>
/// Exhaustive small workloads in the manner of CrashMonkey/ACE: every sequence of one, two and three
/// operations from {create, write, append, truncate, link, unlink, rename, mkdir, rmdir, xattr, set vector,
/// remove vector, save the vector index} over the files
/// /A, /B, /D/C (and /E/C, /E/F/C when a directory moves) and the directories /D, /E, each operation followed by
/// a persistence point (a file stream's <c>Flush(true)</c> or <see cref="VexFileSystem.Flush"/>), on a small
/// filesystem that starts with /A, /D and /D/C. A power cut strikes at every device flush of the last
/// operation's persistence point and of the unmount that follows, with several outcomes for the unflushed
/// writes (none, all, prefixes, only the last, random subsets with torn sectors).
/// </summary>
/// <remarks>
/// <para>
/// After recovery fsck is clean, and the tree is the one before or after the operation in flight, whole
/// (everything the earlier persistence points flushed is there), each file with its vector or none, and the
/// index finds every vector (whether the open built it or loaded a saved one and caught up). Overwriting data in place is not atomic
/// (the documented contract), so while a write is in flight its file may also show the old size with any mix
/// of old and new bytes. The recovered filesystem must then take an extending truncate of every file (the
/// new bytes read as zeros), a new file and a deletion, and check clean again.
/// </para>
/// <para>
/// Each sequence runs from the start on a fresh copy of the image (sequences run side by side, one per
/// processor); its earlier operations were crashed when their own shorter sequence ran, so every persistence
/// point of every sequence is covered once. CI runs all sequences of one and two operations and every 6th of
/// three (about 2,350 of 14,080, some 11 minutes of one processor); <c>VEXFS_EXHAUSTIVE=1</c> runs all of three.
/// </para>
/// </remarks>
public sealed class ExhaustiveCrashTests
{
    private const string XattrName = "user.k";
    private const string Space = "v";
    private const int MaxReported = 4;

    private static readonly Lazy<MemoryBlockDevice> Template = new(CreateTemplate);

    private readonly ITestOutputHelper _output;

    public ExhaustiveCrashTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Every_sequence_of_one_or_two_operations_recovers_to_an_allowed_state()
    {
        var result = Explore(length => length <= 2, _ => true);
        Assert.True(result.Sequences > 400, $"only {result.Sequences} sequences");
        result.AssertClean();
    }

    [Fact]
    public void Sequences_of_three_operations_recover_to_an_allowed_state()
    {
        int every = Environment.GetEnvironmentVariable("VEXFS_EXHAUSTIVE") == "1" ? 1 : 6;
        var result = Explore(length => length == 3, index => index % every == 0);
        Assert.True(result.Sequences > 500, $"only {result.Sequences} sequences");
        result.AssertClean();
    }

    [Fact]
    public void A_crash_during_an_append_leaves_no_stale_bytes_past_the_end()
    {
        // The append writes the tail of /A's last block in place before the new size commits; a crash that
        // keeps the write but not the size leaves bytes past the end, which growing the file then shows.
        var result = new Exploration();
        var initial = Tree.Initial();
        RunSequence([Step.Append("/A", initial.Contents[initial.Files["/A"]].Length, Patterns.Random(1300, 200))], result);
        result.AssertClean();
    }

    /// <summary>
    /// Runs every selected sequence of up to three operations, on every processor (each sequence on its own
    /// copy of the image); <paramref name="sample"/> picks by index among those of the wanted lengths.
    /// </summary>
    private Exploration Explore(Func<int, bool> wanted, Func<int, bool> sample)
    {
        var result = new Exploration();
        var clock = Stopwatch.StartNew();
        var selected = new List<List<Step>>();
        int index = 0;
        void Visit(List<Step> prefix, Tree state)
        {
            foreach (var step in Candidates(state, prefix.Count))
            {
                var sequence = new List<Step>(prefix) { step };
                if (wanted(sequence.Count) && sample(index++))
                {
                    selected.Add(sequence);
                }

                if (sequence.Count < 3)
                {
                    Visit(sequence, step.Apply(state));
                }
            }
        }

        Visit([], Tree.Initial());
        Parallel.ForEach(selected, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, sequence => RunSequence(sequence, result));
        _output.WriteLine($"{result.Sequences} sequences, {result.CrashPoints} crash points, {result.Recoveries} recoveries in {clock.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>The filesystem every sequence starts from: /A (1500 bytes), /D and /D/C (700 bytes), cleanly unmounted.</summary>
    private static MemoryBlockDevice CreateTemplate()
    {
        var device = new MemoryBlockDevice(8L << 20);
        using var fs = VexFileSystem.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 256 << 10 }, leaveOpen: true);
        var initial = Tree.Initial();
        fs.CreateVectorSpace(Space, 4, VectorMetric.L2);
        fs.CreateDirectory("/D");
        foreach (var (path, id) in initial.Files)
        {
            using var stream = fs.OpenFile(path, FileMode.CreateNew);
            stream.Write(initial.Contents[id]);
        }

        return device;
    }

    private static void RunSequence(List<Step> sequence, Exploration result)
    {
        result.CountSequence();
        var states = new List<Tree> { Tree.Initial() };
        foreach (var step in sequence)
        {
            states.Add(step.Apply(states[^1]));
        }

        string name = string.Join(", ", sequence.Select(s => s.Name));
        using var device = new CrashSimulatingDevice(Template.Value);
        var fs = VexFileSystem.Open(device, leaveOpen: true);
        int phase = -1;
        int crashes = 0;
        device.Flushing += (_, _) =>
        {
            if (phase < sequence.Count - 1)
            {
                return;
            }

            // During the last operation's persistence point: the state before it (flushed) or after it.
            // During the unmount: the final state.
            int crash = crashes++;
            result.CountCrashPoint();
            bool unmounting = phase == sequence.Count;
            var allowed = unmounting ? states.GetRange(sequence.Count, 1) : states.GetRange(sequence.Count - 1, 2);
            int? inFlight = !unmounting && sequence[^1].Overwrites is { } written ? states[^1].Files[written] : null;
            int pending = device.PendingWrites.Count;
            foreach (var (planName, plan) in Plans(pending, StableSeed(name) + crash))
            {
                result.CountRecovery();
                using var image = device.CrashImage(plan);
                if (Recover(image, allowed, inFlight) is { } problem)
                {
                    result.Fail($"[{name}] crash {(unmounting ? "while unmounting" : "at the last persistence point")}, {pending} writes pending, plan {planName}", problem);
                }
            }
        };

        try
        {
            for (phase = 0; phase < sequence.Count; phase++)
            {
                sequence[phase].Run(fs);
            }

            fs.Dispose();
            using var durable = device.DurableImage();
            if (Recover(durable, states.GetRange(sequence.Count, 1), inFlight: null) is { } problem)
            {
                result.Fail($"[{name}] after a clean unmount", problem);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result.Fail($"[{name}] step {phase}", $"the workload failed: {e}");
        }
        finally
        {
            fs.Dispose();
        }
    }

    /// <summary>A seed that, unlike <see cref="string.GetHashCode()"/>, is the same in every run.</summary>
    private static int StableSeed(string text) => text.Aggregate(17, (hash, c) => unchecked((hash * 31) + c)) & int.MaxValue;

    /// <summary>The outcomes tried at one crash point, named for the failure report.</summary>
    private static IEnumerable<(string Name, CrashPlan Plan)> Plans(int pending, int seed)
    {
        yield return ("none survive", CrashPlan.Prefix(0));
        if (pending == 0)
        {
            yield break;
        }

        yield return ($"all {pending} survive", CrashPlan.Prefix(pending));
        if (pending == 1)
        {
            yield break;
        }

        yield return ($"the first {pending - 1}", CrashPlan.Prefix(pending - 1));
        if (pending / 2 is > 0 and var half && half != pending - 1)
        {
            yield return ($"the first {half}", CrashPlan.Prefix(half));
        }

        yield return ($"only write {pending - 1}", CrashPlan.Subset([pending - 1]));
        yield return ($"random (seed {seed}, half kept, 30% torn)", CrashPlan.Random(seed, 0.5, tornProbability: 0.3));
        yield return ($"random (seed {seed + 1}, 80% kept, 60% torn)", CrashPlan.Random(seed + 1, 0.8, tornProbability: 0.6));
    }

    /// <summary>Recovers a crash image and checks it; returns what is wrong, or null.</summary>
    private static string? Recover(MemoryBlockDevice image, List<Tree> allowed, int? inFlight)
    {
        try
        {
            if (CrashOracle.FsckFirst(image, out var repaired) is { } problem)
            {
                repaired.Dispose();
                return problem;
            }

            using (repaired)
            using (var fs = VexFileSystem.Open(repaired, leaveOpen: true))
            {
                if (!IsAllowed(Tree.Read(fs), allowed, inFlight))
                {
                    return "after fsck -y -f, a state no prefix allows";
                }
            }

            Tree recovered;
            using (var fs = VexFileSystem.Open(image, leaveOpen: true))
            {
                recovered = Tree.Read(fs);
            }

            if (!IsAllowed(recovered, allowed, inFlight))
            {
                return $"recovered a state no prefix allows:\n{recovered.Describe()}\nallowed\n{string.Join("\n--\n", allowed.Select(t => t.Describe()))}";
            }

            using (var fs = VexFileSystem.Open(image, leaveOpen: true))
            {
                if (SearchProblem(fs, recovered) is { } missing)
                {
                    return missing;
                }
            }

            if (Fsck(image) is { } findings)
            {
                return $"fsck after recovery: {findings}";
            }

            using (var fs = VexFileSystem.Open(image, leaveOpen: true))
            {
                if (Probe(fs, recovered) is { } broken)
                {
                    return broken;
                }
            }

            return Fsck(image) is { } after ? $"fsck after using the recovered filesystem: {after}" : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"recovery failed with {e.GetType().Name}: {e}";
        }
    }

    /// <summary>The index answers for exactly the files' vectors: each is its own nearest, and the space counts them.</summary>
    private static string? SearchProblem(VexFileSystem fs, Tree recovered)
    {
        foreach (var (path, id) in recovered.Files.DistinctBy(f => f.Value))
        {
            if (recovered.Vectors.TryGetValue("#" + id, out var bytes))
            {
                var vector = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                var hit = fs.Search("/", Space, vector, 1, new VexSearchOptions { Exact = true });
                if (hit.Count == 0 || hit[0].Distance != 0 || hit[0].Inode != id)
                {
                    return $"search: {path}'s vector is not found in the index";
                }
            }
        }

        int count = recovered.Vectors.Count;
        return fs.GetVectorSpaces()[0].Count == count ? null : $"search: the space counts {fs.GetVectorSpaces()[0].Count} vectors, the files carry {count}";
    }

    private static string? Fsck(BlockDevice image)
    {
        var report = FileSystemChecker.Check(image, new CheckOptions { Force = true });
        return report.IsClean && report.Findings.Count == 0 ? null : $"{string.Join("; ", report.Findings)} {report.OperationalError}";
    }

    /// <summary>Uses the recovered filesystem: every file grows by a hole that must read as zeros; a file comes and goes.</summary>
    private static string? Probe(VexFileSystem fs, Tree recovered)
    {
        foreach (var (path, id) in recovered.Files.DistinctBy(f => f.Value))
        {
            long size = recovered.Contents[id].Length;
            using var stream = fs.OpenFile(path, FileMode.Open);
            stream.SetLength(size + 1500);
            stream.Position = size;
            var grown = new byte[1500];
            stream.ReadExactly(grown);
            int nonZero = grown.AsSpan().IndexOfAnyExcept((byte)0);
            if (nonZero >= 0)
            {
                return $"stale data past the end of a file: after growing {path} from {size} to {size + 1500} bytes, byte {size + nonZero} reads 0x{grown[nonZero]:x2}, not zero";
            }
        }

        using (var created = fs.OpenFile("/probe", FileMode.CreateNew))
        {
            created.Write(new byte[3000]);
        }

        fs.Delete("/probe");
        return null;
    }

    private static bool IsAllowed(Tree recovered, List<Tree> allowed, int? inFlight)
    {
        string described = recovered.Describe();
        if (allowed.Any(t => t.Describe() == described))
        {
            return true;
        }

        // A write in flight may have reached its blocks in place without its size: the old size, and each
        // byte old or new.
        if (inFlight is not { } id || allowed.Count != 2 || !allowed[1].Contents.TryGetValue(id, out var written))
        {
            return false;
        }

        var before = allowed[0];
        var paths = allowed[1].Files.Where(f => f.Value == id).Select(f => f.Key).ToHashSet();
        if (recovered.Describe(paths) != before.Describe(paths) || !before.Files.TryGetValue(paths.First(), out int oldId))
        {
            return false;
        }

        var old = before.Contents[oldId];
        var content = recovered.Contents[recovered.Files[paths.First()]];
        if (content.Length != old.Length)
        {
            return false;
        }

        for (int i = 0; i < content.Length; i++)
        {
            if (content[i] != old[i] && (i >= written.Length || content[i] != written[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every operation valid in <paramref name="state"/>, at position <paramref name="position"/> of a sequence.</summary>
    private static IEnumerable<Step> Candidates(Tree state, int position)
    {
        var files = state.Files.Keys.ToList();
        var directories = state.Directories.Where(d => d is not "/" and not "/lost+found").ToList();
        var fileNames = new[] { "/A", "/B" }.Concat(directories.Select(d => d + "/C")).ToList();
        bool Free(string path) => !state.Files.ContainsKey(path) && !state.Directories.Contains(path) && state.Directories.Contains(Tree.Parent(path));

        foreach (string path in fileNames.Where(Free))
        {
            yield return Step.Create(path);
        }

        foreach (string path in files)
        {
            long size = state.Contents[state.Files[path]].Length;
            yield return Step.Write(path, 1000, Patterns.Random(1500, 100 + position));
            yield return Step.Append(path, size, Patterns.Random(1300, 200 + position));
            if (size > 600)
            {
                yield return Step.Truncate(path, 600);
            }

            yield return Step.Truncate(path, size + 2000);
        }

        foreach (string source in files)
        {
            foreach (string target in fileNames.Where(Free))
            {
                yield return Step.Link(source, target);
            }
        }

        foreach (string path in files)
        {
            yield return Step.Unlink(path);
        }

        foreach (string source in files)
        {
            foreach (string target in fileNames.Where(t => t != source && (Free(t) || state.Files.ContainsKey(t))))
            {
                yield return Step.Rename(source, target);
            }
        }

        foreach (string source in directories)
        {
            var targets = new[] { "/D", "/E" }.Concat(directories.Where(d => d != source && !Tree.IsWithin(d, source)).Select(d => d + "/F"));
            foreach (string target in targets.Where(t => t != source && !Tree.IsWithin(t, source)))
            {
                if (Free(target) || (state.Directories.Contains(target) && state.IsEmpty(target)))
                {
                    yield return Step.Rename(source, target);
                }
            }
        }

        foreach (string path in new[] { "/D", "/E" }.Where(Free))
        {
            yield return Step.MakeDirectory(path);
        }

        foreach (string path in directories.Where(state.IsEmpty))
        {
            yield return Step.RemoveDirectory(path);
        }

        foreach (string path in files.Concat(directories))
        {
            yield return Step.SetXattr(path, Patterns.Random(300, 300 + position));
        }

        foreach (string path in files)
        {
            yield return Step.SetVector(path, (state.Files[path] * 10) + position);
        }

        foreach (string path in files.Where(p => state.Vectors.ContainsKey(state.XattrKey(p))))
        {
            yield return Step.RemoveVector(path);
        }

        if (state.Vectors.Count > 0)
        {
            yield return Step.SaveIndex();
        }
    }

    /// <summary>One operation and its persistence point, with what it does to the model.</summary>
    /// <param name="Name">How the failure report names it.</param>
    /// <param name="Run">Runs it on the filesystem, persistence point included.</param>
    /// <param name="Apply">The model after it.</param>
    /// <param name="Overwrites">For writes and appends, the file whose blocks it may overwrite in place.</param>
    private sealed record Step(string Name, Action<VexFileSystem> Run, Func<Tree, Tree> Apply, string? Overwrites = null)
    {
        public static Step Create(string path) => new(
            $"create {path}",
            fs =>
            {
                using var stream = fs.OpenFile(path, FileMode.CreateNew);
                stream.Flush(flushToDisk: true);
            },
            t => t.With(next => next.AddFile(path, [])));

        public static Step Write(string path, long offset, byte[] data) => new(
            $"write {path} @{offset}+{data.Length}",
            fs => WriteAt(fs, path, FileMode.Open, offset, data),
            t => t.With(next => next.Overwrite(path, offset, data)),
            Overwrites: path);

        public static Step Append(string path, long size, byte[] data) => new(
            $"append {path} +{data.Length}",
            fs => WriteAt(fs, path, FileMode.Append, null, data),
            t => t.With(next => next.Overwrite(path, size, data)),
            Overwrites: path);

        public static Step Truncate(string path, long length) => new(
            $"truncate {path} to {length}",
            fs =>
            {
                using var stream = fs.OpenFile(path, FileMode.Open);
                stream.SetLength(length);
                stream.Flush(flushToDisk: true);
            },
            t => t.With(next => next.Resize(path, length)));

        public static Step Link(string existing, string path) => new(
            $"link {existing} {path}",
            fs =>
            {
                fs.CreateHardLink(path, existing);
                fs.Flush();
            },
            t => t.With(next => next.Files[path] = next.Files[existing]));

        public static Step Unlink(string path) => new(
            $"unlink {path}",
            fs =>
            {
                fs.Delete(path);
                fs.Flush();
            },
            t => t.With(next => next.Files.Remove(path)));

        public static Step Rename(string source, string destination) => new(
            $"rename {source} {destination}",
            fs =>
            {
                fs.Move(source, destination, overwrite: true);
                fs.Flush();
            },
            t => t.With(next => next.Rename(source, destination)));

        public static Step MakeDirectory(string path) => new(
            $"mkdir {path}",
            fs =>
            {
                fs.CreateDirectory(path);
                fs.Flush();
            },
            t => t.With(next => next.Directories.Add(path)));

        public static Step RemoveDirectory(string path) => new(
            $"rmdir {path}",
            fs =>
            {
                fs.DeleteDirectory(path);
                fs.Flush();
            },
            t => t.With(next =>
            {
                next.Directories.Remove(path);
                next.Xattrs.Remove(path);
            }));

        public static Step SetXattr(string path, byte[] value) => new(
            $"setxattr {path}",
            fs =>
            {
                fs.SetXattr(path, XattrName, value);
                fs.Flush();
            },
            t => t.With(next => next.Xattrs[next.XattrKey(path)] = value));

        public static Step SetVector(string path, int seed)
        {
            float[] vector = [seed + 1f, -seed - 0.5f, 2f * seed, 0.25f];
            return new(
                $"set vector {path}",
                fs =>
                {
                    fs.SetVector(path, Space, vector);
                    fs.Flush();
                },
                t => t.With(next => next.Vectors[next.XattrKey(path)] = System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()).ToArray()));
        }

        public static Step RemoveVector(string path) => new(
            $"remove vector {path}",
            fs =>
            {
                fs.RemoveVector(path, Space);
                fs.Flush();
            },
            t => t.With(next => next.Vectors.Remove(next.XattrKey(path))));

        public static Step SaveIndex() => new("save index", fs => fs.SaveVectorIndexes(), t => t.With(_ => { }));

        private static void WriteAt(VexFileSystem fs, string path, FileMode mode, long? offset, byte[] data)
        {
            using var stream = fs.OpenFile(path, mode, FileAccess.Write);
            if (offset is { } at)
            {
                stream.Position = at;
            }

            stream.Write(data);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// A tree: directories by path, files by path to a file id (names of one file share it), contents and
    /// link counts by id, one xattr per file (by id) or directory (by path).
    /// </summary>
    private sealed class Tree
    {
        public SortedDictionary<string, int> Files { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> Directories { get; } = new(StringComparer.Ordinal);

        public Dictionary<int, byte[]> Contents { get; } = [];

        /// <summary>Extended attributes by <see cref="XattrKey"/>, as "name=hash" lists.</summary>
        public Dictionary<string, byte[]> Xattrs { get; } = [];

        /// <summary>Files' vectors (little-endian float32) by <see cref="XattrKey"/>.</summary>
        public Dictionary<string, byte[]> Vectors { get; } = [];

        /// <summary>For a tree read from a filesystem, the link counts stat reports.</summary>
        public Dictionary<int, int>? LinkCounts { get; private set; }

        private int NextId { get; set; }

        public static Tree Initial()
        {
            var tree = new Tree();
            tree.Directories.UnionWith(["/", "/lost+found", "/D"]);
            tree.AddFile("/A", Patterns.Random(1500, 1));
            tree.AddFile("/D/C", Patterns.Random(700, 2));
            return tree;
        }

        /// <summary>Reads the whole tree of a filesystem, with inode numbers as file ids.</summary>
        public static Tree Read(VexFileSystem fs)
        {
            var tree = new Tree { LinkCounts = [] };
            void Walk(string directory)
            {
                tree.Directories.Add(directory);
                ReadXattrs(directory, directory);
                foreach (var entry in fs.EnumerateEntries(directory))
                {
                    string path = (directory == "/" ? string.Empty : directory) + "/" + entry.Name;
                    if (entry.Type == UnixFileType.Directory)
                    {
                        Walk(path);
                        continue;
                    }

                    var info = fs.GetInfo(path);
                    int id = checked((int)info.Inode);
                    tree.Files[path] = id;
                    tree.LinkCounts[id] = info.LinkCount;
                    if (!tree.Contents.ContainsKey(id))
                    {
                        using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
                        var content = new byte[info.Size];
                        stream.ReadExactly(content);
                        tree.Contents[id] = content;
                        ReadXattrs(path, "#" + id);
                    }
                }
            }

            void ReadXattrs(string path, string key)
            {
                foreach (string name in fs.ListXattrs(path))
                {
                    var value = fs.GetXattr(path, name);
                    if (name == VexFileSystem.VectorXattrPrefix + Space)
                    {
                        tree.Vectors[key] = value;
                        continue;
                    }

                    tree.Xattrs[key] = name == XattrName ? value : [.. value, .. System.Text.Encoding.UTF8.GetBytes("(unexpected name " + name + ")")];
                }
            }

            Walk("/");
            return tree;
        }

        public static string Parent(string path) => path.LastIndexOf('/') is > 0 and int at ? path[..at] : "/";

        /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or below it.</summary>
        public static bool IsWithin(string path, string directory) =>
            path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);

        public bool IsEmpty(string directory) =>
            !Files.Keys.Concat(Directories).Any(p => p != directory && Parent(p) == directory);

        public string XattrKey(string path) => Files.TryGetValue(path, out int id) ? "#" + id : path;

        public Tree With(Action<Tree> change)
        {
            var next = new Tree { NextId = NextId };
            foreach (var (path, id) in Files)
            {
                next.Files[path] = id;
            }

            next.Directories.UnionWith(Directories);
            foreach (var (id, content) in Contents)
            {
                next.Contents[id] = content;
            }

            foreach (var (key, value) in Xattrs)
            {
                next.Xattrs[key] = value;
            }

            foreach (var (key, value) in Vectors)
            {
                next.Vectors[key] = value;
            }

            change(next);
            foreach (int orphan in next.Contents.Keys.Except(next.Files.Values).ToList())
            {
                next.Contents.Remove(orphan);
                next.Xattrs.Remove("#" + orphan);
                next.Vectors.Remove("#" + orphan);
            }

            return next;
        }

        public void AddFile(string path, byte[] content)
        {
            int id = NextId++;
            Files[path] = id;
            Contents[id] = content;
        }

        public void Overwrite(string path, long offset, byte[] data)
        {
            int id = Files[path];
            var content = Contents[id];
            var next = new byte[Math.Max(content.Length, offset + data.Length)];
            content.CopyTo(next, 0);
            data.CopyTo(next, offset);
            Contents[id] = next;
        }

        public void Resize(string path, long length)
        {
            int id = Files[path];
            var next = new byte[length];
            Contents[id].AsSpan(0, (int)Math.Min(length, Contents[id].Length)).CopyTo(next);
            Contents[id] = next;
        }

        /// <summary>A rename with overwrite: a file over a file, or a directory (with all below it) over an empty one; onto another name of the same file, nothing.</summary>
        public void Rename(string source, string destination)
        {
            if (Files.TryGetValue(source, out int id))
            {
                if (Files.TryGetValue(destination, out int existing) && existing == id)
                {
                    return;
                }

                Files.Remove(source);
                Files[destination] = id;
                return;
            }

            string Moved(string path) => destination + path[source.Length..];
            Directories.Remove(destination);
            Xattrs.Remove(destination);
            foreach (string path in Directories.Where(p => IsWithin(p, source)).ToList())
            {
                Directories.Remove(path);
                Directories.Add(Moved(path));
                if (Xattrs.Remove(path, out var value))
                {
                    Xattrs[Moved(path)] = value;
                }
            }

            foreach (var (path, file) in Files.Where(f => IsWithin(f.Key, source)).ToList())
            {
                Files.Remove(path);
                Files[Moved(path)] = file;
            }
        }

        /// <summary>
        /// One line per name. Names of one file share a group (its first name); <paramref name="masked"/> names
        /// show neither size nor contents.
        /// </summary>
        public string Describe(HashSet<string>? masked = null)
        {
            var lines = new List<string>();
            foreach (string directory in Directories)
            {
                lines.Add($"{directory}/ {Hash(Xattrs.GetValueOrDefault(directory))}");
            }

            foreach (var (path, id) in Files)
            {
                string group = Files.First(f => f.Value == id).Key;
                int links = LinkCounts?.GetValueOrDefault(id) ?? Files.Count(f => f.Value == id);
                string content = masked?.Contains(path) == true ? "*" : $"{Contents[id].Length} {Hash(Contents[id])}";
                lines.Add($"{path} ={group} n={links} {content} x={Hash(Xattrs.GetValueOrDefault("#" + id))} v={Hash(Vectors.GetValueOrDefault("#" + id))}");
            }

            return string.Join('\n', lines.Order(StringComparer.Ordinal));
        }

        private static string Hash(byte[]? data) => data is null ? "-" : Convert.ToHexString(SHA256.HashData(data), 0, 6);
    }

    /// <summary>Counts and failures of one exploration, with the first few failures of each kind.</summary>
    /// <summary>What the sequences found, counted and recorded from several threads at once.</summary>
    private sealed class Exploration
    {
        private readonly Dictionary<string, (int Count, List<string> First)> _failures = [];
        private readonly Lock _lock = new();
        private int _sequences;
        private int _crashPoints;
        private int _recoveries;

        public int Sequences => Volatile.Read(ref _sequences);

        public int CrashPoints => Volatile.Read(ref _crashPoints);

        public int Recoveries => Volatile.Read(ref _recoveries);

        public void CountSequence() => Interlocked.Increment(ref _sequences);

        public void CountCrashPoint() => Interlocked.Increment(ref _crashPoints);

        public void CountRecovery() => Interlocked.Increment(ref _recoveries);

        /// <summary>Records a failure; its kind is the text before the first ':' of <paramref name="problem"/>.</summary>
        public void Fail(string sequence, string problem)
        {
            string kind = problem.Split(':')[0];
            lock (_lock)
            {
                var (count, first) = _failures.GetValueOrDefault(kind, (0, []));
                if (first.Count < MaxReported)
                {
                    first.Add($"{sequence}: {problem}");
                }

                _failures[kind] = (count + 1, first);
            }
        }

        public void AssertClean() => Assert.True(
            _failures.Count == 0,
            $"failures in {Sequences} sequences ({CrashPoints} crash points, {Recoveries} recoveries):\n\n"
            + string.Join("\n\n", _failures.Select(f => $"{f.Value.Count} x {f.Key}; the first:\n{string.Join("\n", f.Value.First)}")));
    }
}
