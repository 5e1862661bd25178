using VexFs.BlockDevices;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>
/// In the manner of SQLite's I/O-error tests: fail the Nth device operation of a workload, once or from then
/// on, for N = 1, 2, 3, ... until the workload runs to its end without reaching the Nth operation. The
/// instance latches read-only, marks the superblock when the device still takes writes, still reads intact
/// data, every file flushed before the fault survives, and fsck is clean afterwards or repairs cleanly.
/// </summary>
public sealed class FaultInjectionTests
{
    private const int Files = 12;

    [Fact]
    public void A_device_error_without_an_errno_latches_read_only_too()
    {
        // A device decorator or a network client may throw an IOException that names no errno (HResult left
        // as .NET sets it): it is still the device failing, not a refusal.
        using var failing = new FailingWrites(new MemoryBlockDevice(32L << 20));
        using var fs = VexFileSystem.Format(failing, new FormatOptions { BlockSize = 1024 }, leaveOpen: true);
        fs.CreateDirectory("/before");
        fs.Flush();

        failing.Failing = true;
        var error = Assert.ThrowsAny<IOException>(() =>
        {
            fs.CreateDirectory("/during");
            fs.Flush();
        });
        Assert.Null(VexErrors.KindOf(error));
        Assert.True(fs.IsReadOnly);
        Refusals.AssertKind(VexErrorKind.ReadOnly, () => fs.CreateDirectory("/after"));
        Assert.True(fs.Exists("/before"));
    }

    /// <summary>Writes fail with a bare IOException once <see cref="Failing"/> is set.</summary>
    private sealed class FailingWrites(BlockDevice inner) : ForwardingDevice(inner, "failing")
    {
        public bool Failing { get; set; }

        protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
        {
            if (Failing)
            {
                throw new IOException("the connection to the device was lost");
            }

            base.WriteCore(offset, buffer);
        }
    }

    [Theory]
    [InlineData(false, FaultKind.IOError)]
    [InlineData(true, FaultKind.IOError)]
    [InlineData(false, FaultKind.DiskFull)]
    [InlineData(true, FaultKind.DiskFull)]
    public void A_failing_device_latches_read_only_and_loses_nothing_flushed(bool persistent, FaultKind kind)
    {
        var baseline = Patterns.Random(50_000, seed: 1);
        for (int n = 1; ; n++)
        {
            using var memory = new MemoryBlockDevice(32L << 20);
            using (var fs = VexFileSystem.Format(memory, new FormatOptions { BlockSize = 1024 }, leaveOpen: true))
            {
                using var stream = fs.OpenFile("/kept", FileMode.CreateNew);
                stream.Write(baseline);
                stream.Flush(flushToDisk: true);
            }

            var rule = persistent ? FaultRule.From(n, kind) : FaultRule.Once(n, kind);
            var faulty = new FaultInjectingDevice(memory, [rule], seed: n, leaveOpen: true);
            int flushed = 0;
            bool failed = false;
            bool latched = false;
            try
            {
                using var fs = VexFileSystem.Open(faulty, leaveOpen: true);
                try
                {
                    for (; flushed < Files; flushed++)
                    {
                        fs.CreateDirectory($"/d{flushed}");
                        using (var stream = fs.OpenFile($"/d{flushed}/f", FileMode.CreateNew))
                        {
                            stream.Write(Patterns.Random(5000, seed: flushed));
                        }

                        fs.Flush();
                    }
                }
                catch (IOException)
                {
                    failed = latched = true;
                    Assert.True(fs.IsReadOnly, $"fault at operation {n}: the instance did not latch read-only");
                    Refusals.AssertKind(VexErrorKind.ReadOnly, () => fs.CreateDirectory("/after"));
                    if (!persistent)
                    {
                        AssertContent(fs, "/kept", baseline, $"fault at operation {n}: intact data read after the latch");
                    }
                }
            }
            catch (IOException)
            {
                failed = true;
            }

            Assert.True(failed || faulty.FaultCount == 0, $"fault at operation {n} was swallowed");
            if (latched && !persistent)
            {
                Assert.True(SuperblockCopies.Read(memory).State.HasFlag(FileSystemState.Errors), $"fault at operation {n}: the superblock does not say it has errors");
            }

            faulty.Dispose();
            FileSystemChecker.Check(memory, new CheckOptions { Force = true, Repair = true });
            var again = FileSystemChecker.Check(memory, new CheckOptions { Force = true });
            Assert.True(again.IsClean, $"fault at operation {n}: {string.Join("; ", again.Findings)}");
            using (var reopened = VexFileSystem.Open(memory, leaveOpen: true))
            {
                AssertContent(reopened, "/kept", baseline, $"fault at operation {n}: the file flushed before the run");
                for (int i = 0; i < flushed; i++)
                {
                    AssertContent(reopened, $"/d{i}/f", Patterns.Random(5000, seed: i), $"fault at operation {n}: a file flushed before the fault");
                }
            }

            if (faulty.FaultCount == 0)
            {
                // The workload ended before its Nth operation: every operation of it has failed in one run.
                Assert.True(n > Files * 3, $"the workload did only {n - 1} device operations");
                return;
            }
        }
    }

    private static void AssertContent(VexFileSystem fs, string path, byte[] expected, string what)
    {
        using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
        var back = new byte[expected.Length + 1];
        int read = stream.ReadAtLeast(back, back.Length, throwOnEndOfStream: false);
        Assert.True(read == expected.Length && back.AsSpan(0, read).SequenceEqual(expected), $"{what}: {path} does not read back as written");
    }
}
