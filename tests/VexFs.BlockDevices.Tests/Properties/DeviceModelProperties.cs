using FsCheck.Xunit;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.BlockDevices.FaultInjection;

namespace VexFs.BlockDevices.Tests.Properties;

/// <summary>Every device kind behaves like the reference model under random workloads.</summary>
public sealed class DeviceModelProperties : IDisposable
{
    private const long Length = DeviceOp.DeviceSectors * 512L;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 200)]
    public void Memory_device_matches_the_model(DeviceOp[] ops)
    {
        using var device = new MemoryBlockDevice(Length);
        Check(device, ops, discardZeroes: true);
    }

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 100)]
    public void Growable_memory_device_matches_the_model(DeviceOp[] ops)
    {
        using var device = MemoryBlockDevice.CreateGrowable(Length);
        device.Write(Length - 512, new byte[512]);
        Check(device, ops, discardZeroes: true);
    }

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 100)]
    public void Image_file_matches_the_model(DeviceOp[] ops)
    {
        using var device = ImageFileDevice.Create(_directory.File(Guid.NewGuid().ToString("N")), Length);
        Check(device, ops, discardZeroes: true);
    }

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 100)]
    public void Direct_image_file_matches_the_model(DeviceOp[] ops)
    {
        using var device = ImageFileDevice.Create(_directory.File(Guid.NewGuid().ToString("N")), Length, new ImageFileOptions { DirectIO = true });
        Check(device, ops, discardZeroes: true);
    }

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 25)]
    public void Loop_device_matches_the_model(DeviceOp[] ops)
    {
        using var loop = LoopDevice.Attach(Length);
        using var device = LinuxBlockDevice.Open(loop.Path);
        Check(device, ops, discardZeroes: false);
    }

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 200)]
    public void Crash_simulating_device_matches_the_model(DeviceOp[] ops)
    {
        using var device = new CrashSimulatingDevice(Length);
        Check(device, ops, discardZeroes: true);
    }

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 200)]
    public void Fault_injecting_device_without_faults_matches_the_model(DeviceOp[] ops)
    {
        using var device = new FaultInjectingDevice(new MemoryBlockDevice(Length), [FaultRule.InRange(Length, 512, FaultKind.IOError, DeviceOperations.Read | DeviceOperations.Write | DeviceOperations.Discard)]);
        Check(device, ops, discardZeroes: true);
    }

    private static void Check(BlockDevice device, DeviceOp[] ops, bool discardZeroes)
    {
        int sector = device.SectorSize;
        Assert.Equal(512, sector);
        var model = new DeviceModel(sector, DeviceOp.DeviceSectors);
        for (int i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            long offset = (long)op.Sector * sector;
            switch (op.Kind)
            {
                case DeviceOpKind.Write:
                    var data = DeviceModel.DataFor(op, sector);
                    device.Write(offset, data);
                    model.Write(op.Sector, data);
                    break;
                case DeviceOpKind.Read:
                    var buffer = new byte[op.Count * sector];
                    device.Read(offset, buffer);
                    Assert.True(model.Mismatch(op.Sector, buffer) is null, $"step {i} ({op}): {model.Mismatch(op.Sector, buffer)}");
                    break;
                case DeviceOpKind.Discard:
                    device.Discard(offset, (long)op.Count * sector);
                    model.Discard(op.Sector, op.Count, discardZeroes);
                    break;
                case DeviceOpKind.Flush:
                    device.Flush();
                    break;
            }
        }

        var all = new byte[DeviceOp.DeviceSectors * sector];
        device.Read(0, all);
        Assert.True(model.Mismatch(0, all) is null, $"after the workload: {model.Mismatch(0, all)}");
    }
}
