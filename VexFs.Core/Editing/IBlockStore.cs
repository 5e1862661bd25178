using VexFs.BlockDevices;

namespace VexFs.Core.Editing;

/// <summary>
/// The blocks that the structure algorithms read and write: the device itself when editing offline (mkfs
/// -d, fsck, tests), or a journaled transaction inside the filesystem.
/// </summary>
internal interface IBlockStore
{
    int BlockSize { get; }

    void Read(long block, Span<byte> buffer);

    void Write(long block, ReadOnlySpan<byte> buffer);

    /// <summary>
    /// Reads <paramref name="block"/>; when it has to come from the device, the <paramref name="count"/> blocks
    /// from <paramref name="first"/> (which include it) come in the same request and are kept for the reads
    /// that follow (readahead of inode tables and directories). A store without a cache just reads the block.
    /// </summary>
    void ReadAhead(long block, Span<byte> buffer, long first, int count) => Read(block, buffer);

    /// <summary>Reads consecutive blocks from <paramref name="first"/> into <paramref name="buffer"/> (whole blocks).</summary>
    void ReadBlocks(long first, Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length / BlockSize; i++)
        {
            Read(first + i, buffer.Slice(i * BlockSize, BlockSize));
        }
    }

    /// <summary>Writes consecutive blocks from <paramref name="first"/> (whole blocks).</summary>
    void WriteBlocks(long first, ReadOnlySpan<byte> buffer)
    {
        for (int i = 0; i < buffer.Length / BlockSize; i++)
        {
            Write(first + i, buffer.Slice(i * BlockSize, BlockSize));
        }
    }
}

/// <summary>Blocks read from and written straight to a device.</summary>
internal sealed class DeviceBlockStore(BlockDevice device, int blockSize) : IBlockStore
{
    public int BlockSize { get; } = blockSize;

    public void Read(long block, Span<byte> buffer) => device.Read(block * BlockSize, buffer[..BlockSize]);

    public void Write(long block, ReadOnlySpan<byte> buffer) => device.Write(block * BlockSize, buffer[..BlockSize]);

    public void ReadBlocks(long first, Span<byte> buffer) => device.Read(first * BlockSize, buffer);

    public void WriteBlocks(long first, ReadOnlySpan<byte> buffer) => device.Write(first * BlockSize, buffer);
}
