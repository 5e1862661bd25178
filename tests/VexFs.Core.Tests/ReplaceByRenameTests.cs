using VexFs.BlockDevices.CrashSimulation;
using VexFs.Format;

namespace VexFs.Core.Tests;

/// <summary>
/// What applications silently rely on: writing a temporary file and renaming it over the old one never
/// leaves an empty or half-written file after a crash, flushed or not.
/// </summary>
public sealed class ReplaceByRenameTests
{
    [Fact]
    public void A_file_replaced_by_rename_is_always_one_whole_version()
    {
        using var device = new CrashSimulatingDevice(16L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024, JournalSize = 128 << 10 });
        device.Flush();
        var versions = Enumerable.Range(0, 12).Select(v => Patterns.Random(3000 + (v * 700), seed: v)).ToList();
        var fs = VexFileSystem.Open(device, new VexFileSystemOptions { MaxUnflushedOperations = 2 }, leaveOpen: true);
        using (var first = fs.OpenFile("/config", FileMode.CreateNew))
        {
            first.Write(versions[0]);
        }

        fs.Flush();
        var random = new Random(7);
        int crashes = 0;
        device.Flushing += (_, _) =>
        {
            for (int trial = 0; trial < 3; trial++)
            {
                using var image = device.CrashImage(CrashPlan.Random(random.Next(), random.NextDouble(), tornProbability: 0.5));
                using var after = VexFileSystem.Open(image, leaveOpen: true);
                using var config = after.OpenFile("/config", FileMode.Open, FileAccess.Read);
                var content = new byte[config.Length];
                config.ReadExactly(content);
                Assert.Contains(versions, v => v.AsSpan().SequenceEqual(content));
                crashes++;
            }
        };

        for (int v = 1; v < versions.Count; v++)
        {
            using (var temporary = fs.OpenFile("/config.tmp", FileMode.CreateNew))
            {
                temporary.Write(versions[v]);
            }

            fs.Move("/config.tmp", "/config", overwrite: true);
        }

        fs.Dispose();
        Assert.True(crashes > 10);
    }
}
