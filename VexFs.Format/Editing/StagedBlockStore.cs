using VexFs.BlockDevices;

namespace VexFs.Format.Editing;

/// <summary>
/// Blocks read from a device and written to memory, so that a change made offline (fsck's release of the
/// orphans) can be committed through the journal as one transaction instead of in place.
/// </summary>
internal sealed class StagedBlockStore(BlockDevice device, int blockSize) : IBlockStore
{
    private readonly Dictionary<long, byte[]> _staged = [];

    public int BlockSize { get; } = blockSize;

    /// <summary>Every block written, with its newest contents.</summary>
    public IReadOnlyDictionary<long, byte[]> Staged => _staged;

    public void Read(long block, Span<byte> buffer)
    {
        if (_staged.TryGetValue(block, out var data))
        {
            data.CopyTo(buffer);
        }
        else
        {
            device.Read(block * BlockSize, buffer[..BlockSize]);
        }
    }

    public void Write(long block, ReadOnlySpan<byte> buffer)
    {
        if (!_staged.TryGetValue(block, out var data))
        {
            _staged[block] = data = new byte[BlockSize];
        }

        buffer[..BlockSize].CopyTo(data);
    }
}
