using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// What a program sees: it writes a tree of real files, a 1 GiB one among them, flushing now and then, and
/// the power fails at one of the device's flushes, with unflushed writes kept, dropped or torn at random.
/// After recovery fsck is clean, everything flushed is there, and the big file is no shorter than at its
/// last flush, no longer than written, and holds exactly the bytes written (data=ordered).
/// </summary>
public sealed class LargeTreeCrashTests
{
    private const int Chunk = 8 << 20;
    private const int Chunks = 128;
    private const int FlushEvery = 16;
    private const int SmallFiles = 40;

    [Fact]
    public void A_tree_with_a_1_GiB_file_recovers_to_what_the_contract_promises_at_every_flush()
    {
        var random = new Random(11);
        using var crash = new CrashSimulatingDevice(1400L << 20);
        using (var formatted = VexFileSystem.Format(crash, leaveOpen: true))
        {
            formatted.Flush();
        }

        long written = 0, flushed = 0;
        int smallWritten = 0, smallFlushed = 0;
        bool bigFlushed = false;
        int crashes = 0;
        crash.Flushing += (_, _) =>
        {
            // Taken on the committing thread: what was flushed before this point must survive.
            long atLeast = flushed, atMost = written;
            int smallAtLeast = smallFlushed, smallAtMost = smallWritten;
            bool mustExist = bigFlushed;
            using var image = crash.CrashImage(CrashPlan.Random(random.Next(), random.NextDouble(), tornProbability: 0.3));
            using (var after = VexFileSystem.Open(image, leaveOpen: true))
            {
                Verify(after, atLeast, atMost, mustExist, smallAtLeast, smallAtMost);
            }

            var report = FileSystemChecker.Check(image, new CheckOptions { Force = true });
            Assert.True(report.IsClean, $"crash {crashes}: {string.Join("; ", report.Findings)}");
            crashes++;
        };

        var fs = VexFileSystem.Open(crash, leaveOpen: true);
        fs.CreateDirectory("/photos/2026");
        fs.CreateDirectory("/notes");
        var buffer = new byte[Chunk];
        using (var big = fs.OpenFile("/photos/2026/big.bin", FileMode.CreateNew))
        {
            big.Flush(flushToDisk: true);
            bigFlushed = true;
            for (int i = 0; i < Chunks; i++)
            {
                Patterns.Fill(buffer, i);
                big.Write(buffer);
                written += Chunk;
                if (i % 4 == 0 && smallWritten < SmallFiles)
                {
                    using var small = fs.OpenFile($"/notes/{smallWritten}.txt", FileMode.CreateNew);
                    small.Write(Patterns.Random(1000 + smallWritten, seed: smallWritten));
                    smallWritten++;
                }

                if (i % FlushEvery == FlushEvery - 1)
                {
                    big.Flush(flushToDisk: true);
                    flushed = written;
                    smallFlushed = smallWritten;
                }
            }
        }

        fs.Flush();
        fs.Dispose();
        Assert.True(crashes >= Chunks / FlushEvery, $"only {crashes} crash points");
        using var final = crash.DurableImage();
        using var reopened = VexFileSystem.Open(final, leaveOpen: true);
        Verify(reopened, written, written, true, smallWritten, smallWritten);
    }

    private static void Verify(VexFileSystem fs, long atLeast, long atMost, bool mustExist, int smallAtLeast, int smallAtMost)
    {
        if (!fs.Exists("/photos/2026/big.bin"))
        {
            Assert.False(mustExist, "the big file was flushed but is gone");
            return;
        }

        using (var big = fs.OpenFile("/photos/2026/big.bin", FileMode.Open, FileAccess.Read))
        {
            Assert.InRange(big.Length, atLeast, atMost);
            var expected = new byte[Chunk];
            var back = new byte[Chunk];
            for (int i = 0; (long)i * Chunk < big.Length; i++)
            {
                int length = (int)Math.Min(Chunk, big.Length - ((long)i * Chunk));
                Patterns.Fill(expected, i);
                big.ReadExactly(back.AsSpan(0, length));
                Assert.True(back.AsSpan(0, length).SequenceEqual(expected.AsSpan(0, length)), $"chunk {i} of the big file differs from what was written");
            }
        }

        int found = fs.Exists("/notes") ? fs.EnumerateEntries("/notes").Count() : 0;
        Assert.InRange(found, smallAtLeast, smallAtMost);
        for (int n = 0; n < found; n++)
        {
            using var small = fs.OpenFile($"/notes/{n}.txt", FileMode.Open, FileAccess.Read);
            var back = new byte[small.Length];
            small.ReadExactly(back);
            if (n == found - 1 && n >= smallAtLeast && back.Length == 0)
            {
                // The newest file, not flushed: its creation survived, its write did not.
                continue;
            }

            Assert.Equal(Patterns.Random(1000 + n, seed: n), back);
        }
    }
}
