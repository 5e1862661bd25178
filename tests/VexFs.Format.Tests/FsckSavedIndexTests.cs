using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Core.Editing;
using VexFs.Format.Check;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Format.Tests;

/// <summary>
/// A space's saved search index and its marks of the rows changed since: fsck verifies the index against the
/// rows; damage of each kind is found by a check that writes nothing and repaired by one run that drops the
/// index, after which the check is clean and the filesystem builds the index again from the rows.
/// </summary>
public sealed class FsckSavedIndexTests
{
    private const int Dimension = 8;
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true };

    [Fact]
    public void A_saved_index_with_rows_changed_since_checks_clean()
    {
        using var image = Build();
        var replayed = FileSystemChecker.Check(image, CheckOnly);
        Assert.All(replayed.Findings, f => Assert.StartsWith("the journal holds", f.Problem, StringComparison.Ordinal));
        FileSystemChecker.Check(image, Fix);
        var report = FileSystemChecker.Check(image, CheckOnly);
        Assert.True(report.IsClean && report.Findings.Count == 0, string.Join("; ", report.Findings));
        Assert.Equal((1, 120L), (report.SavedIndexes, report.Vectors));
        Assert.NotEqual(0L, Space(image).ChangesInode);
    }

    [Fact]
    public void A_damaged_index_page_drops_the_index() =>
        AssertDropped(image =>
        {
            var space = Space(image);
            var editor = FileSystemEditor.Open(image);
            var garbage = new byte[editor.Superblock.BlockSize];
            new Random(2).NextBytes(garbage);
            editor.WriteData(space.IndexInode, editor.FileBlocks(space.IndexInode) - 1, garbage);
        }, "is damaged");

    [Fact]
    public void A_row_changed_without_its_mark_drops_the_index() =>
        AssertDropped(image =>
        {
            // Row 0 (not among the rows the marks cover) gets another vector, owner kept, checksum to match.
            var space = Space(image);
            var editor = FileSystemEditor.Open(image);
            var owner = editor.ReadRow(space, 0, new float[Dimension]);
            editor.WriteRow(space, 0, owner, [.. Enumerable.Repeat(7f, Dimension)]);
            editor.Commit();
        }, "differs from the row's");

    [Fact]
    public void A_damaged_block_of_marks_drops_the_index() =>
        AssertDropped(image =>
        {
            var space = Space(image);
            var editor = FileSystemEditor.Open(image);
            var block = new byte[editor.Superblock.BlockSize];
            editor.ReadData(space.ChangesInode, 0, block);
            block[0] ^= 0x80;
            editor.WriteData(space.ChangesInode, 0, block);
        }, "vector changes");

    [Fact]
    public void Marks_without_a_saved_index_are_dropped() =>
        AssertDropped(image => FsckVectorTests.ChangeTable(image, s => s with { IndexInode = 0 }), "is missing, though changes inode");

    /// <summary>
    /// A filesystem whose one space holds 120 vectors: 100 set and saved by a clean close, then 30 changed and
    /// 20 added, made durable, and the power cut (a copy of the device as it stood).
    /// </summary>
    private static MemoryBlockDevice Build()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        var random = new Random(6);
        using (var fs = VexFileSystem.Format(device, new FormatOptions { BlockSize = 4096 }, leaveOpen: true))
        {
            fs.CreateVectorSpace("v", Dimension, VectorMetric.Cosine);
            for (int i = 0; i < 100; i++)
            {
                Set(fs, $"/f{i}", random);
            }
        }

        using var fsAgain = VexFileSystem.Open(device, leaveOpen: true);
        for (int i = 50; i < 120; i++)
        {
            if (i < 80 || i >= 100)
            {
                Set(fsAgain, $"/f{i}", random);
            }
        }

        fsAgain.Flush();
        return device.Snapshot();
    }

    private static void Set(VexFileSystem fs, string path, Random random)
    {
        if (!fs.Exists(path))
        {
            using var stream = fs.OpenFile(path, FileMode.Create);
            stream.WriteByte(1);
        }

        fs.SetVector(path, "v", [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble() + 0.1f)]);
    }

    private static void AssertDropped(Action<MemoryBlockDevice> damage, string expected)
    {
        using var image = Build();
        var vectors = new Dictionary<string, float[]>();
        using (var fs = VexFileSystem.Open(image.Snapshot(), leaveOpen: false))
        {
            foreach (var entry in fs.EnumerateEntries("/"))
            {
                if (fs.GetVector("/" + entry.Name, "v") is { } vector)
                {
                    vectors["/" + entry.Name] = vector;
                }
            }
        }

        // The journal replayed first, as the library would, so that the damage lands on home blocks.
        FileSystemChecker.Check(image, Fix);
        Assert.True(FileSystemChecker.Check(image, CheckOnly).IsClean);
        damage(image);
        using (var before = image.Snapshot())
        {
            var found = FileSystemChecker.Check(image, CheckOnly);
            Assert.Equal(CheckReport.ExitUncorrected, found.ExitCode);
            Assert.Contains(found.Findings, f => f.Problem.Contains(expected, StringComparison.Ordinal) || f.Problem.Contains("no vector space names", StringComparison.Ordinal));
            Assert.Contains(found.Findings, f => f.Problem.Contains("index dropped", StringComparison.Ordinal) || f.Problem.Contains("no vector space names", StringComparison.Ordinal));
            Assert.True(image.ContentEquals(before), "a check-only run wrote to the device");
        }

        var repaired = FileSystemChecker.Check(image, Fix);
        Assert.Equal(CheckReport.ExitCorrected, repaired.ExitCode);
        Assert.Contains(repaired.Findings, f => f.Problem.Contains(expected, StringComparison.Ordinal));
        var after = FileSystemChecker.Check(image, CheckOnly);
        Assert.True(after.IsClean && after.Findings.Count == 0, string.Join("; ", after.Findings));
        Assert.Equal((0, 0L, 0L), (after.SavedIndexes, Space(image).IndexInode, Space(image).ChangesInode));

        // The filesystem builds the index from the rows: every file keeps its vector, and each is its own nearest.
        using var rebuilt = VexFileSystem.Open(image, leaveOpen: true);
        Assert.False(rebuilt.GetVectorSpaces()[0].IndexLoaded);
        foreach (var (path, vector) in vectors)
        {
            var stored = rebuilt.GetVector(path, "v")!;
            if (!path.Equals("/f0", StringComparison.Ordinal) || !expected.Contains("differs", StringComparison.Ordinal))
            {
                Assert.Equal(vector, stored);
            }

            Assert.Equal(path, rebuilt.Search("/", "v", stored, 1, new VexSearchOptions { Exact = true })[0].Path);
        }
    }

    /// <summary>The one space of the table (images of 4 KiB blocks, as <see cref="FsckVectorTests"/> reads them).</summary>
    private static VectorSpaceRecord Space(BlockDevice device) => FsckVectorTests.ReadTable(device)[0];
}
