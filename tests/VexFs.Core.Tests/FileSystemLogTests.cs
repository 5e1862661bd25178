using Microsoft.Extensions.Logging;
using VexFs.BlockDevices;
using VexFs.BlockDevices.FaultInjection;

namespace VexFs.Core.Tests;

/// <summary>What the filesystem tells its logger: recovery after a power cut, orphans reclaimed, a latch, a due check.</summary>
public sealed class FileSystemLogTests
{
    [Fact]
    public void Recovery_orphans_a_latch_and_a_due_check_are_logged_and_a_clean_life_is_not()
    {
        using var memory = new MemoryBlockDevice(32L << 20);
        var log = new ListLoggerFactory();
        var options = new VexFileSystemOptions { LoggerFactory = log };
        MemoryBlockDevice crashed;
        using (var fs = VexFileSystem.Format(memory, options: options, leaveOpen: true))
        {
            fs.CreateDirectory("/d");
            var stream = fs.OpenFile("/d/held", FileMode.CreateNew);
            stream.Write(new byte[5000]);
            fs.Delete("/d/held");
            fs.Flush();

            // A power cut here: the journal holds the commits, and the file open but unnamed is an orphan.
            crashed = memory.Snapshot();
            stream.Dispose();
        }

        Assert.Empty(log.Entries);

        using (crashed)
        {
            using (VexFileSystem.Open(crashed, options, leaveOpen: true))
            {
            }

            var recovered = Assert.Single(log.Entries, e => e.EventId == 1);
            Assert.Equal((LogLevel.Information, "VexFs.Core.VexFileSystem"), (recovered.Level, recovered.Category));
            Assert.Matches("replayed [1-9][0-9]* journal transactions", recovered.Message);
            Assert.Contains("reclaimed 1 orphan inodes", Assert.Single(log.Entries, e => e.EventId == 3).Message, StringComparison.Ordinal);
        }

        // An I/O error latches the instance: one error, with the exception; the next open says a check is due.
        using (var faulty = new FaultInjectingDevice(memory, leaveOpen: true))
        using (var fs = VexFileSystem.Open(faulty, options, leaveOpen: true))
        {
            faulty.AddRule(FaultRule.Once(1, FaultKind.IOError, DeviceOperations.Write));
            fs.CreateDirectory("/e");
            Assert.ThrowsAny<IOException>(fs.Flush);
            Assert.ThrowsAny<IOException>(fs.Flush);
        }

        var latched = Assert.Single(log.Entries, e => e.EventId == 4);
        Assert.Equal(LogLevel.Error, latched.Level);
        Assert.IsAssignableFrom<IOException>(latched.Exception);
        using (VexFileSystem.Open(memory, new VexFileSystemOptions { LoggerFactory = log, ReadOnly = true }, leaveOpen: true))
        {
        }

        Assert.Contains("a check is due (errors were recorded)", Assert.Single(log.Entries, e => e.EventId == 5).Message, StringComparison.Ordinal);
    }
}
