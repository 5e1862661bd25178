using System.Buffers.Binary;
using System.Text;
using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Checksums;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Core.Tests;

/// <summary>
/// Convergence as a property: images damaged at random in every kind of metadata record (bit flips, zeroed
/// and swapped blocks, bytes changed with the record's checksum recomputed; one or two damages; one-group and
/// several-group images; clean or needing journal recovery). For each, fsck never crashes or hangs; one
/// <c>fsck -y</c> leaves an image that <c>fsck -n -f</c> finds clean (or the first run is an operational
/// error of one line); the library then opens, walks and writes the image, and fsck stays clean after.
/// VEXFS_CONVERGENCE_CASES sets the number of cases, VEXFS_CONVERGENCE_SEED the seed, and
/// VEXFS_CONVERGENCE_CASE replays one case.
/// </summary>
public sealed class FsckConvergenceTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static volatile string _stage = string.Empty;
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true };
    private static readonly Lazy<IReadOnlyList<Image>> Images = new(() => [Build("one-group", 32L << 20, 4096, needsRecovery: false), Build("one-group-recovering", 32L << 20, 4096, needsRecovery: true), Build("groups", 24L << 20, 1024, needsRecovery: false), Build("groups-recovering", 24L << 20, 1024, needsRecovery: true)]);

    private enum Outcome
    {
        Converged,
        OperationalError,
        NeededASecondRun,
        DidNotConverge,
        LibraryFailed,
        UncleanAfterWrites,
        DuplicateFinding,
    }

    [Fact]
    public async Task One_repair_converges_and_leaves_an_image_the_library_can_use()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("VEXFS_CONVERGENCE_CASES"), out int n) ? n : 600;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("VEXFS_CONVERGENCE_SEED"), out int s) ? s : 20261205;
        var outcomes = new Dictionary<Outcome, List<string>>();
        foreach (var outcome in Enum.GetValues<Outcome>())
        {
            outcomes[outcome] = [];
        }

        int only = int.TryParse(Environment.GetEnvironmentVariable("VEXFS_CONVERGENCE_CASE"), out int c) ? c : -1;
        for (int i = Math.Max(0, only); i < (only >= 0 ? only + 1 : cases); i++)
        {
            var image = Images.Value[i % Images.Value.Count];
            var random = new Random(unchecked((seed * 7919) + i));
            using var device = image.Device.Snapshot();
            var damage = new StringBuilder($"seed {seed} case {i} ({image.Name}):");
            int damages = random.Next(4) == 0 ? 2 : 1;
            for (int d = 0; d < damages; d++)
            {
                damage.Append(' ').Append(Damage(device, image, random));
            }

            // fsck and the library both run under a time limit: a hang fails the test at once, naming the case.
            var cancel = TestContext.Current.CancellationToken;
            var run = Task.Run(() => Run(device), cancel);
            Assert.True(await Task.WhenAny(run, Task.Delay(Limit, cancel)) == run, $"{damage} hung in {_stage} (replay it with VEXFS_CONVERGENCE_CASE={i})");
            var (outcome, detail) = await run;
            outcomes[outcome].Add($"{damage}: {detail}");
        }

        int ran = outcomes.Values.Sum(o => o.Count);
        string summary = string.Join(Environment.NewLine, outcomes.Where(o => o.Value.Count > 0).Select(o => $"{o.Key}: {o.Value.Count}"));
        string failures = string.Join(Environment.NewLine, outcomes.Where(o => o.Key is not Outcome.Converged).SelectMany(o => o.Value.Take(30).Select(line => $"{o.Key}: {line}")));
        TestContext.Current.SendDiagnosticMessage($"fsck convergence over {ran} cases:{Environment.NewLine}{summary}{Environment.NewLine}{failures}");
        int converged = outcomes[Outcome.Converged].Count + outcomes[Outcome.OperationalError].Count;
        Assert.True(outcomes[Outcome.LibraryFailed].Count == 0 && outcomes[Outcome.UncleanAfterWrites].Count == 0 && outcomes[Outcome.DuplicateFinding].Count == 0 && converged >= ran * 0.99, $"{summary}{Environment.NewLine}{failures}");
    }

    /// <summary>
    /// fsck -y writes in place, as e2fsck does, so a power cut in a repair can leave a half-repaired image:
    /// the next fsck -y must finish the job. Damaged images are repaired on the crash-simulating device with a
    /// cut at spread-out writes of every flush (and a reordered, torn outcome); each image a cut leaves must
    /// then converge as a damaged image does.
    /// </summary>
    [Fact]
    public void A_cut_during_a_repair_leaves_an_image_the_next_repair_converges()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("VEXFS_CONVERGENCE_CRASH_CASES"), out int n) ? n : 40;
        var failures = new List<string>();
        int cuts = 0;
        for (int i = 0; i < cases; i++)
        {
            var image = Images.Value[i % Images.Value.Count];
            var random = new Random(unchecked(20261206 + (i * 7919)));
            using var damaged = image.Device.Snapshot();
            string damage = $"crash case {i} ({image.Name}): {Damage(damaged, image, random)}";
            using var device = new CrashSimulatingDevice(damaged);
            device.Flushing += (_, _) =>
            {
                int pending = device.PendingWrites.Count;
                var plans = Enumerable.Range(0, 6).Select(k => CrashPlan.Prefix(pending * k / 5)).Distinct()
                    .Append(CrashPlan.Random(random.Next(), 0.5, tornProbability: 0.3));
                foreach (var plan in plans)
                {
                    cuts++;
                    using var cut = device.CrashImage(plan);
                    var (outcome, detail) = Run(cut);
                    if (outcome is not (Outcome.Converged or Outcome.OperationalError))
                    {
                        failures.Add($"{damage}, cut {plan} of {pending} writes: {outcome}: {detail}");
                    }
                }
            };

            FileSystemChecker.Check(device, Fix);
        }

        TestContext.Current.SendDiagnosticMessage($"{cuts} cuts during {cases} repairs, {failures.Count} did not converge");
        Assert.True(cuts > cases, $"only {cuts} cuts");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
    }

    private static (Outcome, string) Run(MemoryBlockDevice device)
    {
        var checkFirst = Check(device, CheckOnly);
        if (checkFirst.ExitCode != CheckReport.ExitOperationalError && Duplicate(checkFirst) is { } duplicateFirst)
        {
            return (Outcome.DuplicateFinding, duplicateFirst);
        }

        var repaired = Check(device, Fix);
        if (repaired.ExitCode == CheckReport.ExitOperationalError)
        {
            Assert.False(repaired.OperationalError!.Contains('\n', StringComparison.Ordinal), repaired.OperationalError);
            return (Outcome.OperationalError, repaired.OperationalError);
        }

        if (Duplicate(repaired) is { } duplicate)
        {
            return (Outcome.DuplicateFinding, duplicate);
        }

        var after = Check(device, CheckOnly);
        if (after.ExitCode != CheckReport.ExitClean)
        {
            Check(device, Fix);
            var second = Check(device, CheckOnly);
            return (second.ExitCode == CheckReport.ExitClean ? Outcome.NeededASecondRun : Outcome.DidNotConverge, Describe(repaired) + " || then: " + Describe(after));
        }

        try
        {
            UseTheLibrary(device);
        }
        catch (Exception e) when (e is not DiskFullException)
        {
            return (Outcome.LibraryFailed, Describe(repaired) + " || library: " + e.GetType().Name + ": " + e.Message);
        }

        var final = Check(device, CheckOnly);
        return final.ExitCode == CheckReport.ExitClean ? (Outcome.Converged, string.Empty) : (Outcome.UncleanAfterWrites, Describe(repaired) + " || after writes: " + Describe(final));
    }

    /// <summary>Runs fsck; a crash (an exception out of the checker) fails the test.</summary>
    private static CheckReport Check(MemoryBlockDevice device, CheckOptions options)
    {
        _stage = options.Repair ? "fsck -y" : "fsck -n";
        return FileSystemChecker.Check(device, options);
    }

    private static string? Duplicate(CheckReport report) =>
        report.Findings.GroupBy(f => f.ToString()).FirstOrDefault(g => g.Count() > 1)?.Key;

    private static string Describe(CheckReport report) =>
        $"exit {report.ExitCode}: " + string.Join(" | ", report.Findings.Take(6)) + (report.OperationalError is { } error ? " | " + error : string.Empty);

    private static void UseTheLibrary(MemoryBlockDevice device)
    {
        _stage = "the library";
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            string? victim = null;
            var pending = new Stack<string>(["/"]);
            var buffer = new byte[65536];
            while (pending.Count > 0)
            {
                string dir = pending.Pop();
                fs.ListXattrs(dir);
                foreach (var entry in fs.EnumerateEntries(dir))
                {
                    string path = dir == "/" ? "/" + entry.Name : dir + "/" + entry.Name;
                    if (entry.Type == UnixFileType.Directory)
                    {
                        pending.Push(path);
                        continue;
                    }

                    if (entry.Type == UnixFileType.SymbolicLink)
                    {
                        fs.ReadLink(path);
                        continue;
                    }

                    foreach (string name in fs.ListXattrs(path))
                    {
                        fs.GetXattr(path, name);
                    }

                    if (entry.Type == UnixFileType.RegularFile)
                    {
                        // A repaired size may make a file a huge sparse one: its start and its end are read.
                        using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
                        for (int read = 0; read < 64 && stream.Read(buffer) > 0; read++)
                        {
                        }

                        stream.Position = Math.Max(stream.Position, stream.Length - buffer.Length);
                        while (stream.Read(buffer) > 0)
                        {
                        }

                        victim = path;
                    }
                }
            }

            fs.CreateDirectory("/after-repair/nested");
            using (var file = fs.OpenFile("/after-repair/nested/data", FileMode.CreateNew))
            {
                file.Write(Patterns.Random(150_000, seed: 4));
            }

            fs.SetXattr("/after-repair", "user.note", Encoding.UTF8.GetBytes("written after fsck"));
            fs.Delete(victim ?? "/after-repair/nested/data");
            fs.Flush();
        }

        using var again = VexFileSystem.Open(device, leaveOpen: true);
        Assert.True(again.Exists("/after-repair/nested"));
    }

    /// <summary>Damages one metadata block of the image; returns what was done.</summary>
    private static string Damage(MemoryBlockDevice device, Image image, Random random)
    {
        var (kind, blocks) = image.Metadata[random.Next(image.Metadata.Count)];
        long block = blocks[random.Next(blocks.Count)];
        int size = image.BlockSize;
        var buffer = new byte[size];
        device.Read(block * size, buffer);
        string what;
        switch (random.Next(5))
        {
            case 0:
                int bit = random.Next(size * 8);
                buffer[bit / 8] ^= (byte)(1 << (bit % 8));
                what = $"bit {bit} flipped";
                break;
            case 1:
                Array.Clear(buffer);
                what = "zeroed";
                break;
            case 2:
                var (otherKind, others) = image.Metadata[random.Next(image.Metadata.Count)];
                long other = others[random.Next(others.Count)];
                var otherBuffer = new byte[size];
                device.Read(other * size, otherBuffer);
                device.Write(other * size, buffer);
                buffer = otherBuffer;
                what = $"swapped with {otherKind} block {other}";
                break;
            default:
                what = ChangeFields(buffer, block, kind, image, random);
                break;
        }

        device.Write(block * size, buffer);
        return $"{kind} block {block} {what};";
    }

    /// <summary>Changes a few bytes of the record in <paramref name="buffer"/> and recomputes its checksum, so that only its meaning is wrong.</summary>
    private static string ChangeFields(byte[] buffer, long block, string kind, Image image, Random random)
    {
        var sb = image.Superblock;
        uint seed = sb.ChecksumSeed;
        int changes = 1 + random.Next(2);
        (int Start, int Length, Action<Span<byte>> Reseal) record = kind switch
        {
            "superblock" => ((int)(Superblock.ByteOffset % image.BlockSize), Superblock.Size, r => BinaryPrimitives.WriteUInt32LittleEndian(r[0x1FC..], Crc32C.ComputeSkipping(r[..512], 0x1FC))),
            "descriptors" => DescriptorRecord(random, sb),
            "inode table" => InodeRecord(random, block, image),
            "journal" => (0, image.BlockSize, _ => { }),
            _ => (0, image.BlockSize, r => BlockTail.Seal(r, block, seed)),
        };
        var span = buffer.AsSpan(record.Start, record.Length);
        var changed = new List<string>();
        for (int c = 0; c < changes; c++)
        {
            int at = random.Next(Math.Min(span.Length - 4, kind == "superblock" ? 0x10C : span.Length - 4));
            byte value = random.Next(3) switch { 0 => 0, 1 => 0xFF, _ => (byte)random.Next(256) };
            span[at] = value;
            changed.Add($"{record.Start + at:x}={value:x2}");
        }

        record.Reseal(span);
        return $"bytes {string.Join(",", changed)} changed, checksum recomputed";
    }

    private static (int, int, Action<Span<byte>>) DescriptorRecord(Random random, Superblock sb)
    {
        int group = random.Next(Math.Min(sb.GroupCount, sb.BlockSize / GroupDescriptor.Size));
        return (group * GroupDescriptor.Size, GroupDescriptor.Size, r => BinaryPrimitives.WriteUInt32LittleEndian(r[0x3C..], Crc32C.ComputeMetadata(sb.ChecksumSeed, (ulong)group, r, 0x3C)));
    }

    private static (int, int, Action<Span<byte>>) InodeRecord(Random random, long block, Image image)
    {
        var sb = image.Superblock;
        var (first, used) = image.InodeSlots[block];
        int slot = used[random.Next(used.Count)];
        long number = first + slot;
        int checksumAt = sb.InodeSize - 4;
        return (slot * sb.InodeSize, sb.InodeSize, r => BinaryPrimitives.WriteUInt32LittleEndian(r[checksumAt..], Crc32C.ComputeMetadata(sb.ChecksumSeed, (ulong)number, r, checksumAt)));
    }

    private static Image Build(string name, long size, int blockSize, bool needsRecovery)
    {
        var device = new MemoryBlockDevice(size);
        var format = new FormatOptions
        {
            BlockSize = blockSize,
            Uuid = Guid.Parse("31111111-2222-4333-8444-555555555555"),
            Timestamp = DateTimeOffset.UnixEpoch,
            VectorSpaces = [new VectorSpaceDefinition("text", 8, VectorMetric.Cosine)],
        };
        using (var fs = VexFileSystem.Format(device, format, leaveOpen: true))
        {
            Populate(fs, "tree", 0);
        }

        var image = Describe(name, device);
        if (needsRecovery)
        {
            // Left open after a flush: the image needs its journal replayed. The map of the clean image stays close enough.
            var fs = VexFileSystem.Open(device, leaveOpen: true);
            Populate(fs, "later", 1);
            fs.Delete("/tree/d0/f1");
            fs.Flush();
            var recovering = device.Snapshot();
            fs.Dispose();
            return image with { Device = recovering };
        }

        return image;
    }

    private static void Populate(VexFileSystem fs, string top, int seed)
    {
        fs.CreateDirectory($"/{top}");
        for (int d = 0; d < 3; d++)
        {
            fs.CreateDirectory($"/{top}/d{d}");
            for (int f = 0; f < 6; f++)
            {
                using var file = fs.OpenFile($"/{top}/d{d}/f{f}", FileMode.CreateNew);
                file.Write(Patterns.Random(1 + (f * 9_000), seed: (seed * 100) + (d * 10) + f));
            }

            fs.SetXattr($"/{top}/d{d}/f0", "user.small", "inline"u8.ToArray());
            fs.SetXattr($"/{top}/d{d}/f1", "user.big", Patterns.Random(700, seed: d));
            fs.CreateSymbolicLink($"/{top}/d{d}/link", new string('t', 200));
        }

        // A directory with enough names for a hash index of several leaves, and a file fragmented into an extent tree.
        fs.CreateDirectory($"/{top}/many");
        for (int i = 0; i < 300; i++)
        {
            using var file = fs.OpenFile($"/{top}/many/name-with-some-length-{i:D4}", FileMode.CreateNew);
        }

        using (var fragmented = fs.OpenFile($"/{top}/fragmented", FileMode.CreateNew))
        {
            for (int i = 0; i < 40; i++)
            {
                fragmented.Position = i * 3L * fs.GetSpaceInfo().BlockSize;
                fragmented.Write(Patterns.Random(100, seed: i));
            }
        }
    }

    /// <summary>Lists the image's metadata blocks by kind.</summary>
    private static Image Describe(string name, MemoryBlockDevice device)
    {
        var editor = FileSystemEditor.Open(device);
        var sb = editor.Superblock;
        var geometry = new Geometry(sb);
        var kinds = new Dictionary<string, List<long>>();
        void Add(string kind, long block)
        {
            if (!kinds.TryGetValue(kind, out var list))
            {
                kinds[kind] = list = [];
            }

            list.Add(block);
        }

        var slots = new Dictionary<long, (long, List<int>)>();
        Add("superblock", 0);
        for (int g = 0; g < sb.GroupCount; g++)
        {
            var d = editor.Allocator.Group(g);
            if (g == 0)
            {
                Add("descriptors", geometry.DescriptorTableBlock(0));
            }

            if (Geometry.HasSuperblockCopy(g) && g > 0)
            {
                Add("backup superblock", geometry.GroupStart(g));
            }

            Add("block bitmap", d.BlockBitmap);
            Add("inode bitmap", d.InodeBitmap);
        }

        Add("vector table", sb.VectorTableBlock);
        for (long j = 0; j < 6; j++)
        {
            Add("journal", sb.JournalStart + j);
        }

        var pending = new Stack<long>([sb.RootInode]);
        var seen = new HashSet<long>();
        while (pending.Count > 0)
        {
            long number = pending.Pop();
            if (!seen.Add(number))
            {
                continue;
            }

            var inode = editor.ReadInode(number);
            var (group, index) = geometry.LocateInode(number);
            long tableBlock = editor.Allocator.Group(group).InodeTable + (index / geometry.InodesPerBlock);
            Add("inode table", tableBlock);
            if (!slots.TryGetValue(tableBlock, out var entry))
            {
                slots[tableBlock] = entry = ((long)group * sb.InodesPerGroup + (index / geometry.InodesPerBlock * geometry.InodesPerBlock) + 1, []);
            }

            entry.Item2.Add(index % geometry.InodesPerBlock);
            if (inode.XattrBlock != 0)
            {
                Add("xattr block", inode.XattrBlock);
            }

            if (!inode.Flags.HasFlag(InodeFlags.InlineSymlink) && !inode.Mode.Type().IsSpecial())
            {
                var root = ExtentNode.ReadRoot(inode.Root, number, sb.BlockCount, 0);
                foreach (var child in root.IsLeaf ? [] : root.Children)
                {
                    Add("extent node", child.Child);
                }
            }

            if (inode.Mode.Type() == UnixFileType.Directory)
            {
                for (long fb = 0; fb < inode.Size / sb.BlockSize; fb++)
                {
                    Add(fb == 0 ? "directory index" : "directory leaf", editor.Map(number, fb));
                }

                foreach (var child in editor.List(number))
                {
                    pending.Push(child.Inode);
                }
            }
        }

        var metadata = kinds.Select(k => (k.Key, (IReadOnlyList<long>)k.Value.Distinct().ToList())).ToList();
        return new Image(name, device, sb, sb.BlockSize, metadata, slots.ToDictionary(s => s.Key, s => (s.Value.Item1, (IReadOnlyList<int>)s.Value.Item2)));
    }

    private sealed record Image(string Name, MemoryBlockDevice Device, Superblock Superblock, int BlockSize, IReadOnlyList<(string Kind, IReadOnlyList<long> Blocks)> Metadata, IReadOnlyDictionary<long, (long First, IReadOnlyList<int> Used)> InodeSlots);
}
