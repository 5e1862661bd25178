using Microsoft.Win32.SafeHandles;
using VexFs.BlockDevices.Linux;

namespace VexFs.BlockDevices.Tests;

public sealed class ImageFileDeviceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_16_TiB_sparse_image_is_created_without_writing_16_TiB()
    {
        const long SixteenTiB = 16L << 40;

        // Common host filesystems cap files below 16 TiB (ext4 at 16 TiB - 4 KiB); tmpfs does not.
        using var directory = new TempDirectory(Directory.Exists("/dev/shm") ? "/dev/shm" : null);
        string path = directory.File("huge.img");
        using (var device = ImageFileDevice.Create(path, SixteenTiB))
        {
            Assert.Equal(SixteenTiB, device.Length);
            var data = Patterns.Random(4096, seed: 1);
            device.Write(SixteenTiB - 4096, data);
            device.Flush();
            var back = new byte[4096];
            device.Read(SixteenTiB - 4096, back);
            Assert.Equal(data, back);
        }

        var status = FileStatus.Of(path);
        Assert.Equal(SixteenTiB, status.Size);
        Assert.True(status.AllocatedBytes < 1 << 20, $"{status.AllocatedBytes} bytes allocated");
    }

    [Fact]
    public void A_file_too_large_for_the_host_is_refused_clearly()
    {
        string path = _directory.File("too-big.img");
        var e = Record.Exception(() => ImageFileDevice.Create(path, long.MaxValue - 511).Dispose());
        var io = Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains(path, io.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Create_refuses_an_existing_file_unless_told_to_overwrite()
    {
        string path = _directory.File("existing.img");
        File.WriteAllBytes(path, Patterns.Filled(4096, 1));
        var e = Assert.ThrowsAny<IOException>(() => ImageFileDevice.Create(path, 1 << 20));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(4096, new FileInfo(path).Length);
        using var device = ImageFileDevice.Create(path, 1 << 20, overwrite: true);
        Assert.Equal(1 << 20, device.Length);
    }

    [Fact]
    public void A_second_writer_is_refused_while_the_image_is_open()
    {
        string path = _directory.File("locked.img");
        using var first = ImageFileDevice.Create(path, 1 << 20);
        var e = Assert.Throws<DeviceBusyException>(() => ImageFileDevice.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Throws<DeviceBusyException>(() => ImageFileDevice.Open(path, new ImageFileOptions { ReadOnly = true }));
        first.Dispose();
        using var second = ImageFileDevice.Open(path);
    }

    [Fact]
    public void Readers_share_an_image()
    {
        string path = _directory.File("shared.img");
        ImageFileDevice.Create(path, 1 << 20).Dispose();
        var readOnly = new ImageFileOptions { ReadOnly = true };
        using var first = ImageFileDevice.Open(path, readOnly);
        using var second = ImageFileDevice.Open(path, readOnly);
        Assert.Throws<DeviceBusyException>(() => ImageFileDevice.Open(path));
    }

    [Fact]
    public void Missing_files_and_non_files_get_clear_errors()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => ImageFileDevice.Open(_directory.File("nope.img")));
        Assert.Contains("nope.img", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ImageFileDevice.Open(_directory.Path, new ImageFileOptions { ReadOnly = true }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFileDevice.Create(_directory.File("odd.img"), 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFileDevice.Create(_directory.File("odd.img"), 4096, new ImageFileOptions { SectorSize = 1000 }));
    }

    [Fact]
    public void The_length_is_rounded_down_to_whole_sectors()
    {
        string path = _directory.File("ragged.img");
        File.WriteAllBytes(path, new byte[4096 + 100]);
        using var device = ImageFileDevice.Open(path);
        Assert.Equal(4096, device.Length);
    }

    [Fact]
    public void Discard_punches_holes()
    {
        string path = _directory.File("holes.img");
        using var device = ImageFileDevice.Create(path, 8 << 20);
        device.Write(0, Patterns.Random(4 << 20, seed: 2));
        device.Flush();
        long before = FileStatus.Of(path).AllocatedBytes;
        device.Discard(0, 4 << 20);
        long after = FileStatus.Of(path).AllocatedBytes;
        Assert.True(after <= before - (3 << 20), $"{before} -> {after} allocated bytes");
        var back = new byte[4 << 20];
        device.Read(0, back);
        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Direct_io_uses_an_aligned_sector_size()
    {
        using var device = ImageFileDevice.Create(_directory.File("direct.img"), 1 << 20, new ImageFileOptions { DirectIO = true });
        Assert.True(device.IsDirect);
        Assert.Equal(0, device.SectorSize % 512);
        using var buffered = ImageFileDevice.Create(_directory.File("buffered.img"), 1 << 20, new ImageFileOptions { SectorSize = 4096 });
        Assert.False(buffered.IsDirect);
        Assert.Equal(4096, buffered.SectorSize);
    }

    [Fact]
    public void A_wrapped_handle_is_closed_only_when_the_device_owns_it()
    {
        string path = _directory.File("handle.img");
        ImageFileDevice.Create(path, 1 << 20).Dispose();
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        using (var borrowed = ImageFileDevice.FromHandle(handle, ImageFileOptions.Default, leaveOpen: true))
        {
            borrowed.Write(0, Patterns.Filled(512, 3));
        }

        Assert.False(handle.IsClosed);
        using (var owner = ImageFileDevice.FromHandle(handle, ImageFileOptions.Default, leaveOpen: false))
        {
            var back = new byte[512];
            owner.Read(0, back);
            Assert.Equal(3, back[0]);
        }

        Assert.True(handle.IsClosed);
    }
}
