using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Core.Journal;
using VexFs.Format.Check;
using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>fsck replays a journal that needs recovery, and reports it without writing under -n.</summary>
public sealed class FsckJournalTests
{
    private const int BlockSize = 4096;

    [Fact]
    public void Fsck_replays_committed_transactions_before_checking()
    {
        using var before = new MemoryBlockDevice(256L << 20);
        var layout = Formatter.Format(before, new FormatOptions { Uuid = Guid.NewGuid() });
        using var after = before.Snapshot();
        var editor = FileSystemEditor.Open(after);
        long dir = editor.CreateDirectory(editor.RootInode, "journaled");
        editor.CreateFile(dir, "file", Patterns.Random(10_000, seed: 8));
        editor.Commit();

        // Journal every block that the change touched onto the old image, as the filesystem would have.
        var changed = new List<JournaledBlock>();
        var a = new byte[BlockSize];
        var b = new byte[BlockSize];
        for (long block = 0; block < layout.BlockCount; block++)
        {
            before.Read(block * BlockSize, a);
            after.Read(block * BlockSize, b);
            if (!a.AsSpan().SequenceEqual(b))
            {
                changed.Add(new JournaledBlock(block, b.ToArray()));
            }
        }

        var sb = layout.Superblock;
        var writer = JournalWriter.Recover(before, JournalArea.Of(sb)).Writer;
        writer.Commit(changed, [], 0);
        var record = new byte[1024];
        before.Read(Superblock.ByteOffset, record);
        (Superblock.ReadFrom(record, 1, before.Length) with { Incompatible = IncompatibleFeatures.NeedsRecovery }).WriteTo(record);
        before.Write(Superblock.ByteOffset, record);

        using var untouched = before.Snapshot();
        var checkOnly = FileSystemChecker.Check(before, new CheckOptions());
        Assert.Contains(checkOnly.Findings, f => f.Area == "journal" && f.Problem.Contains("1 committed transactions", StringComparison.Ordinal));
        Assert.True(before.ContentEquals(untouched));

        var repaired = FileSystemChecker.Check(before, new CheckOptions { Repair = true });
        Assert.True(repaired.IsClean, string.Join(Environment.NewLine, repaired.Findings));
        Assert.True(repaired.Modified);
        Assert.True(FileSystemChecker.Check(before, new CheckOptions { Force = true }).IsClean);
        Assert.Equal(dir, FileSystemEditor.Open(before).Resolve("/journaled"));
    }
}
