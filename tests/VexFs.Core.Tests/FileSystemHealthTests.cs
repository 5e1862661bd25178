using VexFs.BlockDevices;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// The health the superblock records, read from a live instance and from a device at rest: the mount count,
/// a clean unmount, a crash, an I/O error that latches the instance, and fsck's check that clears it.
/// </summary>
public sealed class FileSystemHealthTests
{
    [Fact]
    public void Health_follows_opens_closes_a_crash_a_latch_and_the_check_that_clears_it()
    {
        using var memory = new MemoryBlockDevice(32L << 20);
        var made = DateTimeOffset.UtcNow.AddSeconds(-1);
        using (var fs = VexFileSystem.Format(memory, new FormatOptions { Label = "health" }, leaveOpen: true))
        {
            var live = fs.Health;
            Assert.Equal((fs.Uuid, "health", 1, false, false, false), (live.Uuid, live.Label, live.MountCount, live.CleanlyUnmounted, live.HasErrors, live.NeedsCheck));
            Assert.InRange(live.Created, made, DateTimeOffset.UtcNow);
            Assert.InRange(live.LastMounted, live.Created, DateTimeOffset.UtcNow);
        }

        var rest = FileSystemHealth.Read(memory);
        Assert.Equal((1, true, false, false, null), (rest.MountCount, rest.CleanlyUnmounted, rest.NeedsRecovery, rest.NeedsCheck, rest.CheckReason));

        // A second open counts; a power cut while it is open leaves a filesystem not cleanly unmounted.
        MemoryBlockDevice crashed;
        using (var fs = VexFileSystem.Open(memory, leaveOpen: true))
        {
            fs.CreateDirectory("/d");
            fs.Flush();
            crashed = memory.Snapshot();
            Assert.Equal(2, fs.Health.MountCount);
        }

        using (crashed)
        {
            var cut = FileSystemHealth.Read(crashed);
            Assert.Equal((2, false, true, false), (cut.MountCount, cut.CleanlyUnmounted, cut.NeedsRecovery, cut.HasErrors));
        }

        // An I/O error latches the instance read-only and records errors: a check is due, and says why.
        using (var faulty = new FaultInjectingDevice(memory, leaveOpen: true))
        using (var fs = VexFileSystem.Open(faulty, leaveOpen: true))
        {
            faulty.AddRule(FaultRule.Once(1, FaultKind.IOError, DeviceOperations.Write));
            fs.CreateDirectory("/e");
            Assert.ThrowsAny<IOException>(fs.Flush);
            Assert.True(fs.IsReadOnly && fs.Health.HasErrors);
        }

        var latched = FileSystemHealth.Read(memory);
        Assert.Equal((true, true, "errors were recorded"), (latched.HasErrors, latched.NeedsCheck, latched.CheckReason));

        // fsck -y checks it, clears the errors it repaired, and starts the mount count again.
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var report = FileSystemChecker.Check(memory, new CheckOptions { Repair = true, Force = true });
        Assert.True(report.IsClean || report.Findings.All(f => f.Fixed), string.Join("; ", report.Findings));
        var checkedHealth = FileSystemHealth.Read(memory);
        Assert.Equal((false, true, 0, false), (checkedHealth.HasErrors, checkedHealth.CleanlyUnmounted, checkedHealth.MountCount, checkedHealth.NeedsCheck));
        Assert.True(checkedHealth.LastChecked >= before, $"last checked {checkedHealth.LastChecked}, before {before}");
    }

    [Fact]
    public void A_device_without_a_filesystem_has_no_health_to_read()
    {
        using var blank = new MemoryBlockDevice(1L << 20);
        Assert.Throws<InvalidFileSystemException>(() => FileSystemHealth.Read(blank));
    }
}
