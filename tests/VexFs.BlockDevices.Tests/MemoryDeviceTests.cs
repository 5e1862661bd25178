namespace VexFs.BlockDevices.Tests;

public sealed class MemoryDeviceTests
{
    [Fact]
    public void Snapshot_is_independent_of_later_writes()
    {
        using var device = new MemoryBlockDevice(1 << 20);
        device.Write(0, Enumerable.Repeat((byte)1, 512).ToArray());
        using var snapshot = device.Snapshot();
        device.Write(0, Enumerable.Repeat((byte)2, 512).ToArray());
        var buffer = new byte[512];
        snapshot.Read(0, buffer);
        Assert.All(buffer, b => Assert.Equal(1, b));
    }
}
