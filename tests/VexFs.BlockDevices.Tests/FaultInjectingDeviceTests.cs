using System.Diagnostics;
using VexFs.BlockDevices.FaultInjection;

namespace VexFs.BlockDevices.Tests;

public sealed class FaultInjectingDeviceTests
{
    private const int Sector = 512;

    [Fact]
    public void Once_fails_exactly_the_nth_applicable_operation()
    {
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.Once(3, FaultKind.IOError, DeviceOperations.Write)]);
        var data = Patterns.Filled(Sector, 1);
        device.Write(0, data);
        device.Read(0, new byte[Sector]);
        device.Write(Sector, data);
        var e = Assert.Throws<IOException>(() => device.Write(Sector * 2, data));
        Assert.Contains("operation #4", e.Message, StringComparison.Ordinal);
        device.Write(Sector * 3, data);
        Assert.Equal(1, device.FaultCount);
        Assert.Equal(5, device.OperationCount);

        // The faulted write had no effect.
        Assert.Equal(0, ReadSector(device.Inner, 2)[0]);
        Assert.Equal(1, ReadSector(device.Inner, 3)[0]);
    }

    [Fact]
    public void From_fails_every_applicable_operation_from_then_on()
    {
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.From(2, FaultKind.IOError)]);
        device.Read(0, new byte[Sector]);
        Assert.Throws<IOException>(() => device.Read(0, new byte[Sector]));
        Assert.Throws<IOException>(() => device.Flush());
        Assert.Throws<IOException>(() => device.Write(0, new byte[Sector]));
        Assert.Throws<IOException>(() => device.Discard(0, Sector));
        Assert.Equal(4, device.FaultCount);
        device.ClearRules();
        device.Flush();
    }

    [Fact]
    public void A_range_rule_strikes_only_operations_that_touch_the_range()
    {
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.InRange(Sector * 10, Sector * 2, FaultKind.IOError, DeviceOperations.Read)]);
        device.Read(0, new byte[Sector * 10]);
        device.Read(Sector * 12, new byte[Sector]);
        Assert.Throws<IOException>(() => device.Read(Sector * 11, new byte[Sector]));
        Assert.Throws<IOException>(() => device.Read(Sector * 8, new byte[Sector * 3]));
        device.Write(Sector * 10, new byte[Sector]);
    }

    [Fact]
    public void A_short_write_stores_a_prefix_of_its_sectors_then_fails()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.Once(1, FaultKind.ShortWrite)], seed);
            Assert.Throws<IOException>(() => device.Write(0, Patterns.Filled(Sector * 8, 4)));
            var written = Enumerable.Range(0, 8).Select(s => ReadSector(device.Inner, s)[0] == 4).ToArray();
            int prefix = written.TakeWhile(w => w).Count();
            Assert.True(written.Skip(prefix).All(w => !w), $"seed {seed}: not a prefix");
            Assert.InRange(prefix, 0, 7);
        }
    }

    [Fact]
    public void A_torn_write_stores_some_sectors_loses_others_then_fails()
    {
        bool sawGap = false;
        for (int seed = 0; seed < 20; seed++)
        {
            using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.Once(1, FaultKind.TornWrite)], seed);
            Assert.Throws<IOException>(() => device.Write(0, Patterns.Filled(Sector * 8, 4)));
            var written = Enumerable.Range(0, 8).Select(s => ReadSector(device.Inner, s)[0] == 4).ToArray();
            Assert.All(Enumerable.Range(0, 8), s => Assert.True(ReadSector(device.Inner, s).All(b => b == (written[s] ? 4 : 0))));
            sawGap |= written.SkipWhile(w => w).Any(w => w);
        }

        Assert.True(sawGap, "a torn write should sometimes keep a later sector without an earlier one");
    }

    [Fact]
    public void A_full_device_raises_disk_full_and_writes_nothing()
    {
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.From(1, FaultKind.DiskFull, DeviceOperations.Write)]);
        var e = Assert.Throws<DiskFullException>(() => device.Write(0, Patterns.Filled(Sector, 1)));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Equal(0, ReadSector(device, 0)[0]);
    }

    [Fact]
    public void Latency_delays_then_succeeds()
    {
        var rule = new FaultRule { Kind = FaultKind.Latency, Latency = TimeSpan.FromMilliseconds(50), Operations = DeviceOperations.Flush };
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [rule]);
        var watch = Stopwatch.StartNew();
        device.Flush();
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(45), $"flush took {watch.Elapsed}");
        Assert.Equal(1, device.FaultCount);
    }

    [Fact]
    public void Probabilistic_faults_replay_from_the_seed()
    {
        static string Run(int seed)
        {
            using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20), [FaultRule.WithProbability(0.3, FaultKind.IOError)], seed);
            var outcome = new System.Text.StringBuilder();
            for (int i = 0; i < 200; i++)
            {
                try
                {
                    device.Write((i % 100) * (long)Sector, new byte[Sector]);
                    outcome.Append('.');
                }
                catch (IOException)
                {
                    outcome.Append('x');
                }
            }

            return outcome.ToString();
        }

        string first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));
        Assert.InRange(first.Count(c => c == 'x'), 30, 90);
    }

    [Fact]
    public void Invalid_rules_are_refused()
    {
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(1 << 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.AddRule(FaultRule.Once(0, FaultKind.IOError)));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.AddRule(FaultRule.WithProbability(1.5, FaultKind.IOError)));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.AddRule(new FaultRule { Kind = FaultKind.IOError, First = 5, Last = 4 }));
    }

    [Fact]
    public void Disposal_follows_leave_open()
    {
        var inner = new MemoryBlockDevice(1 << 20);
        new FaultInjectingDevice(inner, leaveOpen: true).Dispose();
        Assert.False(inner.IsDisposed);
        new FaultInjectingDevice(inner, leaveOpen: false).Dispose();
        Assert.True(inner.IsDisposed);
    }

    private static byte[] ReadSector(BlockDevice device, int sector)
    {
        var buffer = new byte[Sector];
        device.Read((long)sector * Sector, buffer);
        return buffer;
    }
}
