using VexFs.BlockDevices.CrashSimulation;
using VexFs.BlockDevices.FaultInjection;

namespace VexFs.BlockDevices.Tests.Contract;

public sealed class MemoryDeviceContract : DeviceContract
{
    protected override BlockDevice CreateDevice(long length) => new MemoryBlockDevice(length);

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        var snapshot = ((MemoryBlockDevice)device).Snapshot(readOnly: true);
        device.Dispose();
        return snapshot;
    }
}

public sealed class ImageFileContract : DeviceContract
{
    private readonly TempDirectory _directory;

    public ImageFileContract() => _directory = Track(new TempDirectory());

    protected override BlockDevice CreateDevice(long length) =>
        ImageFileDevice.Create(_directory.File(Guid.NewGuid().ToString("N") + ".img"), length);

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        string path = ((ImageFileDevice)device).Path;
        device.Dispose();
        return ImageFileDevice.Open(path, new ImageFileOptions { ReadOnly = true });
    }
}

public sealed class DirectImageFileContract : DeviceContract
{
    private static readonly ImageFileOptions Direct = new() { DirectIO = true };
    private readonly TempDirectory _directory;

    public DirectImageFileContract() => _directory = Track(new TempDirectory());

    protected override BlockDevice CreateDevice(long length)
    {
        var device = ImageFileDevice.Create(_directory.File(Guid.NewGuid().ToString("N") + ".img"), length, Direct);
        Assert.True(device.IsDirect);
        return device;
    }

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        string path = ((ImageFileDevice)device).Path;
        device.Dispose();
        return ImageFileDevice.Open(path, Direct with { ReadOnly = true });
    }
}

public sealed class LoopDeviceContract : DeviceContract
{
    protected override bool DiscardReadsZeros => false;

    protected override BlockDevice CreateDevice(long length)
    {
        var loop = Track(LoopDevice.Attach(length));
        return LinuxBlockDevice.Open(loop.Path);
    }

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        string path = ((LinuxBlockDevice)device).Path;
        device.Dispose();
        return LinuxBlockDevice.Open(path, new RawDeviceOptions { ReadOnly = true });
    }
}

public sealed class CrashSimulatingDeviceContract : DeviceContract
{
    protected override BlockDevice CreateDevice(long length) => new CrashSimulatingDevice(length);

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        var durable = ((CrashSimulatingDevice)device).DurableImage();
        device.Dispose();
        var readOnly = durable.Snapshot(readOnly: true);
        durable.Dispose();
        return readOnly;
    }
}

public sealed class FaultInjectingDeviceContract : DeviceContract
{
    protected override BlockDevice CreateDevice(long length) =>
        new FaultInjectingDevice(new MemoryBlockDevice(length), [FaultRule.WithProbability(0.0, FaultKind.IOError)], seed: 1);

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        var inner = (MemoryBlockDevice)((FaultInjectingDevice)device).Inner;
        var snapshot = inner.Snapshot(readOnly: true);
        device.Dispose();
        return new FaultInjectingDevice(snapshot);
    }
}
