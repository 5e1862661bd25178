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
    internal static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    internal static readonly VexFileSystemOptions NodeA = new() { NodeName = "node-a" };
    internal static readonly VexFileSystemOptions NodeB = new() { NodeName = "node-b" };

    internal static MemoryBlockDevice Formatted()
    {
        var device = new MemoryBlockDevice(64L << 20);
        Formatter.Format(device, new FormatOptions { MultiMountProtection = true, MmpUpdateInterval = 1 });
        return device;
    }

    internal static MmpBlock ReadMmp(BlockDevice device) => MultiMountGuard.Read(device, SuperblockCopies.Read(device));

    internal static void AssertClean(BlockDevice device)
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

        Thread.Sleep(1500);
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
    public void A_writer_whose_updates_come_late_records_a_longer_interval_for_others_to_wait()
    {
        using var device = Formatted();
        var sb = SuperblockCopies.Read(device);
        using var slow = new FaultInjectingDevice(device, leaveOpen: true);
        using var fs = VexFileSystem.Open(slow, NodeA, leaveOpen: true);
        Assert.Equal(1, ReadMmp(device).CheckInterval);

        slow.AddRule(FaultRule.InRange(sb.MmpBlock * sb.BlockSize, sb.BlockSize, FaultKind.Latency, DeviceOperations.Read) with { Latency = TimeSpan.FromMilliseconds(1500) });
        var clock = Stopwatch.StartNew();
        while (ReadMmp(device).CheckInterval == 1 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(100);
        }

        var late = ReadMmp(device);
        Assert.Equal(2, late.CheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), MultiMountGuard.WaitTime(sb.MmpInterval, late));
        Assert.False(fs.IsReadOnly);
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
}
