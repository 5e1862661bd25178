using System.Diagnostics;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Format;
using VexFs.Format.Records;
using static VexFs.Core.Tests.MmpTests;

namespace VexFs.Core.Tests;

/// <summary>
/// Multi-mount protection when a node dies, is overtaken, or races another: apart from <see cref="MmpTests"/> so
/// that the two classes' waits overlap.
/// </summary>
public sealed class MmpTakeoverTests
{
    [Fact]
    public void A_second_node_takes_over_after_the_first_crashed_and_recovers_its_journal()
    {
        using var device = Formatted();
        var crashing = new FaultInjectingDevice(device, leaveOpen: true);
        var fs = VexFileSystem.Open(crashing, NodeA, leaveOpen: true);
        fs.CreateDirectory("/durable");
        fs.Flush();

        // The host dies: its device goes with it, and no one marks the block clean.
        crashing.Dispose();
        var dead = ReadMmp(device);
        Assert.NotEqual(MmpBlock.Clean, dead.Sequence);

        var clock = Stopwatch.StartNew();
        using (var taken = VexFileSystem.Open(device, NodeB, leaveOpen: true))
        {
            Assert.True(clock.Elapsed >= (2 * Wait) - TimeSpan.FromMilliseconds(200), $"taken over after {clock.Elapsed}: it did not wait twice");
            Assert.True(taken.Exists("/durable"));
            Assert.Equal("node-b", ReadMmp(device).NodeName);
            taken.CreateDirectory("/after");
        }

        Assert.Equal(MmpBlock.Clean, ReadMmp(device).Sequence);
        AssertClean(device);
    }

    [Fact]
    public void An_instance_whose_block_another_node_overwrote_latches_read_only_and_writes_nothing_more()
    {
        using var device = Formatted();
        var log = new ListLoggerFactory();
        var fs = VexFileSystem.Open(device, NodeA with { LoggerFactory = log }, leaveOpen: true);
        fs.CreateDirectory("/before");
        fs.Flush();

        var sb = SuperblockCopies.Read(device);
        var intruder = new MmpBlock { Sequence = 12345, TimeNs = 1, NodeName = "intruder", DeviceName = "nbd0", CheckInterval = 1 };
        MultiMountGuard.Write(device, sb, intruder);
        var clock = Stopwatch.StartNew();
        while (!(fs.IsReadOnly && log.Entries.Any(e => e.EventId == 7)) && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(50);
        }

        Assert.True(fs.IsReadOnly, "the heartbeat did not notice the block was taken");
        var refused = Assert.Throws<VexFsException>(() => fs.CreateDirectory("/after"));
        Assert.Equal(VexErrorKind.ReadOnly, refused.Kind);
        var taken = Assert.Single(log.Entries, e => e.EventId == 7);
        Assert.Contains("in use by node 'intruder'", taken.Exception!.Message, StringComparison.Ordinal);

        var before = new byte[8 << 20];
        device.Read(0, before);
        fs.Dispose();
        var after = new byte[8 << 20];
        device.Read(0, after);
        Assert.Equal(before, after);
        Assert.Equal(intruder, ReadMmp(device));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    public void Of_two_nodes_opening_a_clean_filesystem_together_exactly_one_gets_it(int secondLateMs)
    {
        // Started late by a few milliseconds, the second reads the first's fresh random sequence, which the first
        // updates only once its own wait ends: the second's longer wait must see that update.
        using var device = Formatted();
        var results = new object?[2];
        var threads = new[] { NodeA, NodeB }.Select((options, i) => new Thread(() =>
        {
            Thread.Sleep(i * secondLateMs);
            try
            {
                results[i] = VexFileSystem.Open(device, options, leaveOpen: true);
            }
            catch (VexFsException e)
            {
                results[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var opened = results.OfType<VexFileSystem>().ToList();
        try
        {
            var winner = Assert.Single(opened);
            Assert.Equal(VexErrorKind.Busy, Assert.IsType<VexFsException>(Assert.Single(results, r => r is not VexFileSystem)).Kind);
            Thread.Sleep(1500);
            Assert.False(winner.IsReadOnly, "the winner lost the block after the race");
        }
        finally
        {
            opened.ForEach(fs => fs.Dispose());
        }

        Assert.Equal(MmpBlock.Clean, ReadMmp(device).Sequence);
    }
}
