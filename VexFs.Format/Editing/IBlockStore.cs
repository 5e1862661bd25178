using VexFs.BlockDevices;

namespace VexFs.Format.Editing;

/// <summary>
/// The blocks that the structure algorithms read and write: the device itself when editing offline (mkfs
/// -d, fsck, tests), or a journaled transaction inside the filesystem.
/// </summary>
internal interface IBlockStore
{
    int BlockSize { get; }

    void Read(long block, Span<byte> buffer);

    void Write(long block, ReadOnlySpan<byte> buffer);
}

/// <summary>Blocks read from and written straight to a device.</summary>
internal sealed class DeviceBlockStore(BlockDevice device, int blockSize) : IBlockStore
{
    public int BlockSize { get; } = blockSize;

    public void Read(long block, Span<byte> buffer) => device.Read(block * BlockSize, buffer[..BlockSize]);

    public void Write(long block, ReadOnlySpan<byte> buffer) => device.Write(block * BlockSize, buffer[..BlockSize]);
}
