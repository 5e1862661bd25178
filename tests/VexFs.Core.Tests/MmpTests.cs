using System.Diagnostics;
using VexFs.BlockDevices;
using VexFs.BlockDevices.FaultInjection;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>
/// Multi-mount protection as two hosts see it: instances sharing one device stand for the nodes, each with its
/// own name. The update interval is 1 s, so a second opener waits 3 s (twice one interval, plus one) per look.
/// </summary>
public sealed class MmpTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private static readonly VexFileSystemOptions NodeA = new() { NodeName = "node-a" };
    private static readonly VexFileSystemOptions NodeB = new() { NodeName = "node-b" };

    private static MemoryBlockDevice Formatted()
    {
        var device = new MemoryBlockDevice(64L << 20);
        Formatter.Format(device, new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 1 });
        return device;
    }

    private static MmpBlock ReadMmp(BlockDevice device) => MultiMountGuard.Read(device, SuperblockCopies.Read(device));

    private static void AssertClean(BlockDevice device)
    {
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings) + report.OperationalError);
    }

    [Fact]
    public void An_open_keeps_a_live_sequence_updated_and_its_close_leaves_the_block_clean()
    {
        using var device = Formatted();
        var fs = VexFileSystem.Open(device, NodeA, leaveOpen: true);
        var first = ReadMmp(device);
        Assert.InRange(first.Sequence, 0u, MmpBlock.MaxSequence);
        Assert.Equal("node-a", first.NodeName);

        Thread.Sleep(2500);
        var later = ReadMmp(device);
        Assert.NotEqual(first.Sequence, later.Sequence);
        Assert.InRange(later.Sequence, 0u, MmpBlock.MaxSequence);
        Assert.True(later.TimeNs > first.TimeNs);

        fs.CreateDirectory("/kept");
        fs.Dispose();
        var closed = ReadMmp(device);
        Assert.Equal(MmpBlock.Clean, closed.Sequence);
        Assert.Equal("node-a", closed.NodeName);
        AssertClean(device);
    }

    [Fact]
    public void A_second_node_is_refused_while_the_first_is_alive()
    {
        using var device = Formatted();
        using var fs = VexFileSystem.Open(device, NodeA, leaveOpen: true);
        var clock = Stopwatch.StartNew();
        var refused = Assert.Throws<VexFsException>(() => VexFileSystem.Open(device, NodeB, leaveOpen: true));
        Assert.True(clock.Elapsed >= Wait - TimeSpan.FromMilliseconds(100), $"refused after {clock.Elapsed}: it did not wait for a sign of life");
        Assert.Equal(VexErrorKind.Busy, refused.Kind);
        Assert.Contains("in use by node 'node-a'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("last updated at", refused.Message, StringComparison.Ordinal);

        Assert.False(fs.IsReadOnly);
        fs.CreateDirectory("/still-mine");
        fs.Flush();
        Assert.Equal("node-a", ReadMmp(device).NodeName);
    }

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
        Thread.Sleep(1500);
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
        while (!fs.IsReadOnly && clock.Elapsed < TimeSpan.FromSeconds(5))
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

    [Fact]
    public void Fsck_holds_off_opens_at_once_a_damaged_block_asks_for_fsck_and_read_only_opens_stay_out()
    {
        using var device = Formatted();
        var sb = SuperblockCopies.Read(device);
        var checking = new MmpBlock { Sequence = MmpBlock.Fsck, TimeNs = 1, NodeName = "checker", CheckInterval = 1 };
        MultiMountGuard.Write(device, sb, checking);
        var clock = Stopwatch.StartNew();
        var refused = Assert.Throws<VexFsException>(() => VexFileSystem.Open(device, NodeA, leaveOpen: true));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
        Assert.Equal(VexErrorKind.Busy, refused.Kind);
        Assert.Contains("being checked by fsck on node 'checker'", refused.Message, StringComparison.Ordinal);

        using (var reader = VexFileSystem.Open(device, NodeA with { ReadOnly = true }, leaveOpen: true))
        {
            Assert.True(reader.Exists("/lost+found"));
        }

        Assert.Equal(checking, ReadMmp(device));

        var block = new byte[sb.BlockSize];
        device.Read(sb.MmpBlock * sb.BlockSize, block);
        block[0x30] ^= 1;
        device.Write(sb.MmpBlock * sb.BlockSize, block);
        var damaged = Assert.Throws<InvalidFileSystemException>(() => VexFileSystem.Open(device, NodeA, leaveOpen: true));
        Assert.Contains("run fsck.vexfs", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_an_open_cuts_its_wait_short_and_leaves_the_block_alone()
    {
        using var device = Formatted();
        var sb = SuperblockCopies.Read(device);
        var other = new MmpBlock { Sequence = 777, TimeNs = 1, NodeName = "node-z", CheckInterval = 60 };
        MultiMountGuard.Write(device, sb, other);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => VexFileSystem.OpenAsync(device, NodeA, leaveOpen: true, cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
        Assert.Equal(other, ReadMmp(device));
    }

    [Fact]
    public async Task Of_two_nodes_opening_a_clean_filesystem_at_once_exactly_one_gets_it()
    {
        using var device = Formatted();
        var openers = new[] { NodeA, NodeB }.Select(options => Task.Run(() => VexFileSystem.Open(device, options, leaveOpen: true))).ToList();
        try
        {
            await Task.WhenAll(openers);
        }
        catch (VexFsException)
        {
            // One of them is expected to be refused; counted below.
        }

        var opened = openers.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        var refused = openers.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException).ToList();
        try
        {
            Assert.Single(opened);
            var busy = Assert.IsType<VexFsException>(Assert.Single(refused));
            Assert.Equal(VexErrorKind.Busy, busy.Kind);
        }
        finally
        {
            opened.ForEach(fs => fs.Dispose());
        }

        Assert.Equal(MmpBlock.Clean, ReadMmp(device).Sequence);
    }
}
