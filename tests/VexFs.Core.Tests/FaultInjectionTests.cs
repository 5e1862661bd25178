using VexFs.BlockDevices;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// In the manner of SQLite's I/O-error tests: fail the Nth device operation of a workload, once or from then
/// on. The instance latches read-only, what was flushed before survives, and fsck is clean afterwards or
/// repairs cleanly.
/// </summary>
public sealed class FaultInjectionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_failing_device_latches_read_only_and_loses_nothing_flushed(bool persistent)
    {
        var baseline = Patterns.Random(50_000, seed: 1);
        for (int n = 1; n <= 120; n += 3)
        {
            using var memory = new MemoryBlockDevice(32L << 20);
            using (var fs = VexFileSystem.Format(memory, new FormatOptions { BlockSize = 1024 }, leaveOpen: true))
            {
                using var stream = fs.OpenFile("/kept", FileMode.CreateNew);
                stream.Write(baseline);
                stream.Flush(flushToDisk: true);
            }

            var rule = persistent ? FaultRule.From(n, FaultKind.IOError) : FaultRule.Once(n, FaultKind.IOError);
            var faulty = new FaultInjectingDevice(memory, [rule], seed: n, leaveOpen: true);
            bool failed = false;
            try
            {
                using var fs = VexFileSystem.Open(faulty, leaveOpen: true);
                try
                {
                    for (int i = 0; i < 30; i++)
                    {
                        fs.CreateDirectory($"/d{i}");
                        using (var stream = fs.OpenFile($"/d{i}/f", FileMode.CreateNew))
                        {
                            stream.Write(Patterns.Random(5000, seed: i));
                        }

                        fs.Flush();
                    }
                }
                catch (IOException)
                {
                    failed = true;
                    Assert.True(fs.IsReadOnly, $"fault at operation {n}: the instance did not latch read-only");
                    Assert.Throws<IOException>(() => fs.CreateDirectory("/after"));
                }
            }
            catch (IOException)
            {
                failed = true;
            }

            Assert.True(failed || faulty.FaultCount == 0, $"fault at operation {n} was swallowed");
            faulty.Dispose();
            FileSystemChecker.Check(memory, new CheckOptions { Force = true, Repair = true });
            var again = FileSystemChecker.Check(memory, new CheckOptions { Force = true });
            Assert.True(again.IsClean, $"fault at operation {n}: {string.Join("; ", again.Findings)}");
            using var reopened = VexFileSystem.Open(memory, leaveOpen: true);
            using var kept = reopened.OpenFile("/kept", FileMode.Open, FileAccess.Read);
            var back = new byte[baseline.Length];
            kept.ReadExactly(back);
            Assert.Equal(baseline, back);
        }
    }
}
