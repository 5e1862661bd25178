using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Journal;

namespace VexFs.Core.Tests;

/// <summary>
/// A damaged block inside a committed journal transaction: a read-write open refuses and writes nothing, a
/// read-only open sees the transactions before the damage, and fsck -y replays those, drops the rest, checks
/// everything and leaves a filesystem that opens.
/// </summary>
public sealed class DamagedJournalTests
{
    [Fact]
    public void A_damaged_committed_transaction_is_dropped_by_fsck_and_the_ones_before_it_survive()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        var fs = VexFileSystem.Format(device, new FormatOptions { BlockSize = 1024 }, leaveOpen: true);
        WriteFile(fs, "/first", 1);
        fs.Flush();
        var commits = CommitRecords(device);
        WriteFile(fs, "/second", 2);
        fs.Flush();

        // The power goes here, before any checkpoint: the image needs recovery. Zero the block before the
        // second commit record, a data block of a transaction that committed.
        using var image = device.Snapshot();
        long secondCommit = CommitRecords(image).Except(commits).Single();
        image.Write(secondCommit - 1024, new byte[1024]);
        using var untouched = image.Snapshot();

        var refused = Assert.Throws<InvalidFileSystemException>(() => VexFileSystem.Open(image, leaveOpen: true));
        Assert.Contains("fsck.vexfs -y", refused.Message);
        Assert.True(image.ContentEquals(untouched), "a refused open wrote to the device");

        using (var readOnly = VexFileSystem.Open(image, new VexFileSystemOptions { ReadOnly = true }, leaveOpen: true))
        {
            Assert.Equal(Patterns.Random(5000, 1), ReadFile(readOnly, "/first"));
            Assert.False(readOnly.Exists("/second"));
        }

        Assert.True(image.ContentEquals(untouched), "a read-only open wrote to the device");
        Assert.Equal(CheckReport.ExitUncorrected, FileSystemChecker.Check(image, CheckOptions.Default).ExitCode);
        var repair = FileSystemChecker.Check(image, new CheckOptions { Repair = true });
        Assert.Equal(CheckReport.ExitCorrected, repair.ExitCode);
        Assert.Contains(repair.Findings, f => f.Area == "journal" && f.Problem.Contains("dropped", StringComparison.Ordinal));
        Assert.Equal(CheckReport.ExitClean, FileSystemChecker.Check(image, new CheckOptions { Force = true }).ExitCode);

        using (var reopened = VexFileSystem.Open(image, leaveOpen: true))
        {
            Assert.Equal(Patterns.Random(5000, 1), ReadFile(reopened, "/first"));
            Assert.False(reopened.Exists("/second"));
            WriteFile(reopened, "/third", 3);
        }

        Assert.Equal(CheckReport.ExitClean, FileSystemChecker.Check(image, new CheckOptions { Force = true }).ExitCode);
        fs.Dispose();
    }

    private static void WriteFile(VexFileSystem fs, string path, int seed)
    {
        using var stream = fs.OpenFile(path, FileMode.CreateNew);
        stream.Write(Patterns.Random(5000, seed));
    }

    private static byte[] ReadFile(VexFileSystem fs, string path)
    {
        using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
        var content = new byte[stream.Length];
        stream.ReadExactly(content);
        return content;
    }

    /// <summary>The byte offsets of the journal's commit records.</summary>
    private static HashSet<long> CommitRecords(MemoryBlockDevice device)
    {
        var sb = SuperblockCopies.Read(device);
        var block = new byte[sb.BlockSize];
        var found = new HashSet<long>();
        for (long b = sb.JournalStart + 1; b < sb.JournalStart + sb.JournalBlocks; b++)
        {
            device.Read(b * sb.BlockSize, block);
            if (JournalRecord.TryRead(block, sb.ChecksumSeed, sb.BlockCount, out _) is { Type: JournalRecordType.Commit })
            {
                found.Add(b * sb.BlockSize);
            }
        }

        return found;
    }
}
