using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Core.Storage;

/// <summary>
/// A read-only view of a device as it would be after replaying its journal, without writing to it: reads of
/// the home blocks the journal holds newer copies of return those copies. A read-only open of a filesystem
/// that needs recovery sees through it; a journal that cannot be read at all leaves the home blocks as they
/// are, and a damaged one contributes the transactions before the damage.
/// </summary>
internal sealed class ReplayedView : BlockDevice
{
    private readonly BlockDevice _inner;
    private readonly Dictionary<long, byte[]> _replayed;
    private readonly int _blockSize;

    private ReplayedView(BlockDevice inner, Dictionary<long, byte[]> replayed, int blockSize)
    {
        _inner = inner;
        _replayed = replayed;
        _blockSize = blockSize;
    }

    /// <summary>The view of <paramref name="device"/>, whose superblock is <paramref name="sb"/>; disposing it disposes the device.</summary>
    public static ReplayedView Of(BlockDevice device, Superblock sb)
    {
        var replayed = new Dictionary<long, byte[]>();
        try
        {
            var plan = JournalWriter.PlanRecovery(device, sb.JournalStart, sb.JournalBlocks, sb.BlockSize, sb.ChecksumSeed, sb.Uuid, sb.BlockCount);
            foreach (var (home, journalBlock) in plan.Writes)
            {
                var copy = new byte[sb.BlockSize];
                device.Read((sb.JournalStart + journalBlock) * sb.BlockSize, copy);
                replayed[home] = copy;
            }
        }
        catch (InvalidFileSystemException)
        {
            // An unreadable journal header: the home blocks are all there is to read.
        }

        return new ReplayedView(device, replayed, sb.BlockSize);
    }

    /// <inheritdoc />
    public override int SectorSize => _inner.SectorSize;

    /// <inheritdoc />
    public override long Length => _inner.Length;

    /// <inheritdoc />
    public override bool IsReadOnly => true;

    /// <inheritdoc />
    public override string Description => _inner.Description;

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer)
    {
        _inner.Read(offset, buffer);
        if (_replayed.Count == 0)
        {
            return;
        }

        for (long block = offset / _blockSize; block * _blockSize < offset + buffer.Length; block++)
        {
            if (!_replayed.TryGetValue(block, out var copy))
            {
                continue;
            }

            long from = Math.Max(offset, block * _blockSize);
            long to = Math.Min(offset + buffer.Length, (block + 1) * _blockSize);
            copy.AsSpan((int)(from - (block * _blockSize)), (int)(to - from)).CopyTo(buffer[(int)(from - offset)..]);
        }
    }

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer) => throw ReadOnly();

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length) => throw ReadOnly();

    /// <inheritdoc />
    protected override void FlushCore()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private NotSupportedException ReadOnly() => new($"{Description} is seen through its journal, read-only.");
}
