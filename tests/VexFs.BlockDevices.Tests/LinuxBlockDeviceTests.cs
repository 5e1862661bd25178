using System.Globalization;

namespace VexFs.BlockDevices.Tests;

public sealed class LinuxBlockDeviceTests
{
    [Fact]
    public void Geometry_comes_from_the_kernel()
    {
        using var loop = LoopDevice.Attach(64L << 20);
        using var device = LinuxBlockDevice.Open(loop.Path);
        var (_, size) = LoopDevice.Run("blockdev", "--getsize64", loop.Path);
        var (_, sector) = LoopDevice.Run("blockdev", "--getss", loop.Path);
        Assert.Equal(long.Parse(size.Trim(), CultureInfo.InvariantCulture), device.Length);
        Assert.Equal(int.Parse(sector.Trim(), CultureInfo.InvariantCulture), device.SectorSize);
        Assert.True(device.IsDirect);
        Assert.True(device.PhysicalSectorSize >= device.SectorSize);
    }

    [Fact]
    public void A_second_exclusive_opener_is_refused()
    {
        using var loop = LoopDevice.Attach(16L << 20);
        using var device = LinuxBlockDevice.Open(loop.Path);
        var e = Assert.Throws<DeviceBusyException>(() => LinuxBlockDevice.Open(loop.Path));
        Assert.Contains(loop.Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mounted_device_is_refused_with_its_mount_point()
    {
        using var loop = LoopDevice.Attach(32L << 20);
        var (mkfs, mkfsOutput) = LoopDevice.Run("mkfs.ext4", "-q", "-F", loop.Path);
        Assert.True(mkfs == 0, mkfsOutput);
        using var mountPoint = new TempDirectory();
        var (mount, mountOutput) = LoopDevice.Run("mount", loop.Path, mountPoint.Path);
        Assert.True(mount == 0, mountOutput);
        try
        {
            var e = Assert.Throws<DeviceBusyException>(() => LinuxBlockDevice.Open(loop.Path));
            Assert.Contains("mounted on " + mountPoint.Path, e.Message, StringComparison.Ordinal);
            Assert.Throws<DeviceBusyException>(() => LinuxBlockDevice.Open(loop.Path, new RawDeviceOptions { ReadOnly = true }));
            using var check = LinuxBlockDevice.Open(loop.Path, new RawDeviceOptions { ReadOnly = true, AllowMountedReadOnly = true });
            var superblock = new byte[2048];
            check.Read(0, superblock);
            Assert.Equal(0xEF53, BitConverter.ToUInt16(superblock, 1024 + 0x38));
        }
        finally
        {
            LoopDevice.Run("umount", mountPoint.Path);
        }
    }

    [Fact]
    public void Files_are_not_block_devices()
    {
        using var directory = new TempDirectory();
        string path = directory.File("plain.img");
        File.WriteAllBytes(path, new byte[4096]);
        var e = Assert.Throws<ArgumentException>(() => LinuxBlockDevice.Open(path));
        Assert.Contains("not a block device", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => LinuxBlockDevice.Open(directory.File("missing")));
    }

    [Fact]
    public void Discard_reaches_the_backing_file()
    {
        using var loop = LoopDevice.Attach(16L << 20);
        using (var device = LinuxBlockDevice.Open(loop.Path))
        {
            device.Write(0, Patterns.Random(4 << 20, seed: 3));
            device.Flush();
            device.Discard(0, 4 << 20);
            device.Flush();
            var back = new byte[4 << 20];
            device.Read(0, back);
            Assert.All(back, b => Assert.Equal(0, b));
        }
    }
}
