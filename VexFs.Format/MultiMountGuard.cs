using System.Globalization;
using VexFs.BlockDevices;
using VexFs.Format.Records;

namespace VexFs.Format;

/// <summary>
/// Multi-mount protection, ext4's algorithm: one writer at a time on a device that several hosts can reach (an
/// NBD export, a shared disk), agreed through the MMP block alone, since no host can lock for another.
/// </summary>
/// <remarks>
/// <para>
/// To take the device: a block that is not clean means a writer was there; wait <see cref="WaitTime"/> (over two
/// of its update intervals) and one interval more, and read again: if it changed, the writer lives, and the open
/// is refused. Then
/// write a new random sequence with this node's name, wait again and read again: another opener that raced
/// this one has overwritten it, and the last to write wins. The winner writes its next sequence at once. fsck writes <see cref="MmpBlock.Fsck"/> instead,
/// which opens refuse at once.
/// </para>
/// <para>
/// While held, a heartbeat thread of its own (never a pool thread, which a busy process can starve) reads the
/// block every update interval: if it no longer holds what this node last wrote, another node has taken the
/// device and this one must stop writing; otherwise it writes the next sequence and the time. Disposing stops
/// the heartbeat and, unless the device was lost, marks the block clean.
/// </para>
/// <para>
/// Every read goes to the device, never through a cache of this process: a raw device is opened O_DIRECT,
/// and an image file's page cache is shared by the processes of its host.
/// </para>
/// </remarks>
internal sealed class MultiMountGuard : IDisposable
{
    private readonly BlockDevice _device;
    private readonly long _block;
    private readonly uint _seed;
    private readonly int _blockSize;
    private readonly int _interval;
    private readonly string _node;
    private readonly string _deviceName;
    private readonly CancellationTokenSource _stop = new();
    private MmpBlock _written;
    private long _writtenAt = Environment.TickCount64;
    private Thread? _heartbeat;
    private volatile bool _lost;
    private volatile IOException? _stopped;
    private bool _disposed;

    private MultiMountGuard(BlockDevice device, Superblock sb, string node, MmpBlock written)
    {
        _device = device;
        _block = sb.MmpBlock;
        _seed = sb.ChecksumSeed;
        _blockSize = sb.BlockSize;
        _interval = sb.MmpInterval;
        _node = node;
        _deviceName = written.DeviceName;
        _written = written;
    }

    /// <summary>Whether another node took the device while this one held it; nothing more may be written.</summary>
    public bool Lost => _lost;

    /// <summary>Why the heartbeat stopped before <see cref="Dispose"/>: another node took the device, or the device failed; null while it beats.</summary>
    public IOException? Stopped => _stopped;

    /// <summary>
    /// How long a second opener waits for a sign of life from <paramref name="mmp"/>'s writer: over two update
    /// intervals, at most one interval and a minute (ext4's rule), taking the longer of the filesystem's interval
    /// and the one the writer recorded (a writer whose updates are slow records a longer one).
    /// </summary>
    public static TimeSpan WaitTime(int interval, MmpBlock mmp)
    {
        int check = CheckInterval(interval, mmp);
        return TimeSpan.FromSeconds(Math.Min((2 * check) + 1, check + 60));
    }

    private static int CheckInterval(int interval, MmpBlock mmp) => Math.Clamp(Math.Max(interval, mmp.CheckInterval), 1, MmpBlock.MaxInterval);

    /// <summary>Reads the MMP block of <paramref name="sb"/>'s filesystem straight from <paramref name="device"/>.</summary>
    /// <exception cref="InvalidFileSystemException">The block's magic or checksum is wrong.</exception>
    public static MmpBlock Read(BlockDevice device, Superblock sb) => Read(device, sb.MmpBlock, sb.BlockSize, sb.ChecksumSeed);

    /// <summary>Writes <paramref name="mmp"/> as the MMP block of <paramref name="sb"/>'s filesystem and flushes it to the device.</summary>
    public static void Write(BlockDevice device, Superblock sb, MmpBlock mmp) => Write(device, sb.MmpBlock, sb.BlockSize, sb.ChecksumSeed, mmp);

    /// <summary>A clean MMP block, as mkfs writes it and a writer leaves it.</summary>
    public static MmpBlock CleanBlock(int interval, string node, string deviceName) => new()
    {
        Sequence = MmpBlock.Clean,
        TimeNs = Now,
        NodeName = MmpBlock.Truncate(node, MmpBlock.NodeNameSize),
        DeviceName = MmpBlock.Truncate(deviceName, MmpBlock.DeviceNameSize),
        CheckInterval = interval,
    };

    /// <summary>
    /// Takes <paramref name="device"/> for this node, waiting as the protocol says (twice, at most, when another
    /// node was there), or refuses.
    /// </summary>
    /// <param name="device">The device, written directly (not through a cache or an overlay).</param>
    /// <param name="sb">The superblock, which names the MMP block and the update interval.</param>
    /// <param name="node">This node's name, recorded for the others to see.</param>
    /// <param name="forFsck">Take it for fsck: write <see cref="MmpBlock.Fsck"/>, which opens refuse at once.</param>
    /// <param name="cancellationToken">Cuts the waits short; the device is then not taken.</param>
    /// <exception cref="VexFsException">Another node has it (<see cref="VexErrorKind.Busy"/>).</exception>
    /// <exception cref="InvalidFileSystemException">The MMP block is damaged (fsck.vexfs repairs it).</exception>
    public static MultiMountGuard Acquire(BlockDevice device, Superblock sb, string node, bool forFsck, CancellationToken cancellationToken)
    {
        string what = forFsck ? "checked" : "opened for writing";
        var found = ReadOrExplain(device, sb);
        var wait = WaitTime(sb.MmpInterval, found);
        if (found.Sequence == MmpBlock.Fsck && !forFsck)
        {
            throw new VexFsException(VexErrorKind.Busy, $"{device.Description} is being checked by fsck on node '{found.NodeName}' (since {Time(found)}); it cannot be {what} until the check ends.");
        }

        if (found.Sequence != MmpBlock.Clean)
        {
            // One interval more than ext4 waits here: the sequence found may be the random one another opener has
            // just written, which it first updates once its own wait (as long as ours) ends; an equal wait would
            // race that update, and both openers would go on (the first latching read-only at its next heartbeat).
            Sleep(wait + TimeSpan.FromSeconds(CheckInterval(sb.MmpInterval, found)), cancellationToken);
            var again = ReadOrExplain(device, sb);
            if (again.Sequence != found.Sequence || again.TimeNs != found.TimeNs)
            {
                throw InUse(device, again, what);
            }
        }

        string deviceName = MmpBlock.Truncate(device.Description, MmpBlock.DeviceNameSize);
        var mine = new MmpBlock
        {
            Sequence = (uint)Random.Shared.NextInt64(0, (long)MmpBlock.MaxSequence + 1),
            TimeNs = Now,
            NodeName = MmpBlock.Truncate(node, MmpBlock.NodeNameSize),
            DeviceName = deviceName,
            CheckInterval = sb.MmpInterval,
        };
        Write(device, sb, mine);
        Sleep(wait, cancellationToken);
        var raced = ReadOrExplain(device, sb);
        if (raced != mine)
        {
            throw InUse(device, raced, what);
        }

        // The first update at once, as ext4's kmmpd makes it: an opener that read the random sequence during the
        // wait above is waiting now, and must see it change when it looks again, before any heartbeat is due.
        mine = mine with { Sequence = forFsck ? MmpBlock.Fsck : MmpBlock.Next(mine.Sequence), TimeNs = Math.Max(Now, mine.TimeNs + 1) };
        Write(device, sb, mine);
        return new MultiMountGuard(device, sb, node, mine);
    }

    /// <summary>
    /// Starts the heartbeat; <paramref name="lost"/> is called once, from the heartbeat's thread, when another
    /// node has taken the device or the device failed (an <see cref="IOException"/>), and the heartbeat ends.
    /// </summary>
    public void StartHeartbeat(Action<IOException> lost)
    {
        _heartbeat = new Thread(() => Beat(lost))
        {
            IsBackground = true,
            Name = "VexFS MMP heartbeat",
        };
        _heartbeat.Start();
    }

    /// <summary>Stops the heartbeat and, unless another node took the device, marks the MMP block clean.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        _heartbeat?.Join();
        _stop.Dispose();
        if (_lost)
        {
            return;
        }

        // A device that has failed or gone keeps the last sequence: another opener then waits for it, as for a crash.
        try
        {
            Write(_device, _block, _blockSize, _seed, CleanBlock(_interval, _node, _deviceName));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The block stays as last written: the next opener waits out the intervals and takes over.
        }
    }

    private static MmpBlock Read(BlockDevice device, long block, int blockSize, uint seed)
    {
        var buffer = new byte[blockSize];
        device.Read(block * blockSize, buffer);
        return MmpBlock.ReadFrom(buffer, block, seed);
    }

    private static void Write(BlockDevice device, long block, int blockSize, uint seed, MmpBlock mmp)
    {
        var buffer = new byte[blockSize];
        mmp.WriteTo(buffer, block, seed);
        device.Write(block * blockSize, buffer);
        device.Flush();
    }

    private void Beat(Action<IOException> lost)
    {
        var token = _stop.Token;
        while (!token.WaitHandle.WaitOne(TimeSpan.FromSeconds(_interval)))
        {
            try
            {
                var now = Read(_device, _block, _blockSize, _seed);
                if (now != _written)
                {
                    _lost = true;
                    Stop(lost, InUse(_device, now, "kept open for writing"));
                    return;
                }

                // As ext4's kmmpd: a node whose updates come late (slow I/O, a stalled process) records a longer
                // interval, the whole seconds since its last update, so that others wait longer.
                long since = (Environment.TickCount64 - _writtenAt) / 1000;
                var next = _written with
                {
                    Sequence = _written.Sequence == MmpBlock.Fsck ? MmpBlock.Fsck : MmpBlock.Next(_written.Sequence),
                    TimeNs = Math.Max(Now, _written.TimeNs + 1),
                    CheckInterval = (int)Math.Clamp(Math.Max(_interval, since), 1, MmpBlock.MaxInterval),
                };
                Write(_device, _block, _blockSize, _seed, next);
                _written = next;
                _writtenAt = Environment.TickCount64;
            }
            catch (InvalidFileSystemException e)
            {
                // Another host overwrote the block with something that does not verify: it is not ours any more.
                _lost = true;
                Stop(lost, new VexFsException(VexErrorKind.Busy, $"The MMP block of {_device.Description} no longer holds this node's sequence ({e.Message}); another node may be writing the filesystem.", e));
                return;
            }
            catch (IOException e)
            {
                Stop(lost, e);
                return;
            }
            catch (ObjectDisposedException)
            {
                // The device was closed under the heartbeat (a crash as the process sees it): nothing to update any more.
                return;
            }
        }
    }

    private void Stop(Action<IOException> lost, IOException why)
    {
        _stopped = why;
        lost(why);
    }

    private static MmpBlock ReadOrExplain(BlockDevice device, Superblock sb)
    {
        try
        {
            return Read(device, sb);
        }
        catch (InvalidFileSystemException e)
        {
            throw new InvalidFileSystemException($"The multi-mount protection block of {device.Description} is damaged ({e.Message}); run fsck.vexfs to repair it.", e);
        }
    }

    private static VexFsException InUse(BlockDevice device, MmpBlock mmp, string what) => mmp.Sequence == MmpBlock.Fsck
        ? new VexFsException(VexErrorKind.Busy, $"{device.Description} is being checked by fsck on node '{mmp.NodeName}' (since {Time(mmp)}); it cannot be {what}.")
        : new VexFsException(VexErrorKind.Busy, $"{device.Description} is in use by node '{mmp.NodeName}' (device {mmp.DeviceName}), last updated at {Time(mmp)}; it cannot be {what} here.");

    private static string Time(MmpBlock mmp) =>
        DateTimeOffset.FromUnixTimeMilliseconds(mmp.TimeNs / 1_000_000).ToString("u", CultureInfo.InvariantCulture);

    private static void Sleep(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (cancellationToken.WaitHandle.WaitOne(wait))
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
}
