using VexFs.BlockDevices;

namespace VexFs.Core.Tests;

/// <summary>The kinds of device one suite runs over: memory, an image file (buffered and O_DIRECT) and a loop device.</summary>
internal sealed class DeviceKinds : IDisposable
{
    private readonly TempDirectory _directory = new();
    private LoopDevice? _loop;

    public static TheoryData<string> All => ["memory", "image", "image-direct", "loop"];

    /// <summary>A new device of <paramref name="kind"/> and <paramref name="length"/> bytes; owned by the caller, backed by this object.</summary>
    public BlockDevice Create(string kind, long length) => kind switch
    {
        "memory" => new MemoryBlockDevice(length),
        "image" => ImageFileDevice.Create(_directory.File("disk.img"), length),
        "image-direct" => ImageFileDevice.Create(_directory.File("disk.img"), length, new ImageFileOptions { DirectIO = true }),
        "loop" => AttachLoop(length),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown device kind"),
    };

    /// <summary>The same storage opened again, as after a restart.</summary>
    public BlockDevice Reopen(string kind, BlockDevice previous) => kind switch
    {
        "memory" => previous,
        "image" => ImageFileDevice.Open(_directory.File("disk.img")),
        "image-direct" => ImageFileDevice.Open(_directory.File("disk.img"), new ImageFileOptions { DirectIO = true }),
        "loop" => BlockDevice.Open(_loop!.Path),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown device kind"),
    };

    public void Dispose()
    {
        _loop?.Dispose();
        _directory.Dispose();
    }

    private BlockDevice AttachLoop(long length)
    {
        _loop = LoopDevice.Attach(length);
        return BlockDevice.Open(_loop.Path);
    }
}
