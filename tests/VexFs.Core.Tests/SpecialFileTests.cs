using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>Device files, named pipes and sockets: created (mknod), described, renamed, linked and removed.</summary>
public sealed class SpecialFileTests
{
    [Fact]
    public void Special_files_keep_their_type_permissions_and_device_numbers_across_a_remount()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        long freeInodes;
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            freeInodes = fs.GetSpaceInfo().FreeInodes;
            fs.CreateDirectory("/dev");
            var dev = fs.GetInfo("/dev");
            var null3 = fs.CreateSpecialFile(dev.Inode, "null", UnixFileType.CharacterDevice, 0x1B6, major: 1, minor: 3, uid: 0, gid: 5);
            Assert.Equal((UnixFileType.CharacterDevice, 0x1B6, 1u, 3u, 5u), (null3.Type, null3.Permissions, null3.DeviceMajor, null3.DeviceMinor, null3.Gid));
            fs.CreateSpecialFile("/dev/loop7", UnixFileType.BlockDevice, 0x1B0, major: 7, minor: 7);
            fs.CreateSpecialFile("/dev/fifo", UnixFileType.Fifo);
            fs.CreateSpecialFile("/dev/sock", UnixFileType.Socket, 0x1ED);
            Assert.Equal(0, fs.GetInfo("/dev/fifo").Size);
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            var loop = fs.GetInfo("/dev/loop7");
            Assert.Equal((UnixFileType.BlockDevice, 0x1B0, 7u, 7u), (loop.Type, loop.Permissions, loop.DeviceMajor, loop.DeviceMinor));
            Assert.Equal((UnixFileType.Fifo, 0u, 0u), (fs.GetInfo("/dev/fifo").Type, fs.GetInfo("/dev/fifo").DeviceMajor, fs.GetInfo("/dev/fifo").DeviceMinor));
            Assert.Equal(UnixFileType.Socket, fs.GetInfo("/dev/sock").Type);
            Assert.Equal(
                [("fifo", UnixFileType.Fifo), ("loop7", UnixFileType.BlockDevice), ("null", UnixFileType.CharacterDevice), ("sock", UnixFileType.Socket)],
                fs.EnumerateEntries("/dev").Select(e => (e.Name, e.Type)).Order());

            // Names move and multiply like any file's; the inode goes with its last name.
            fs.Move("/dev/null", "/null");
            fs.CreateHardLink(fs.RootInode, "null-again", fs.GetInfo("/null").Inode);
            Assert.Equal(2, fs.GetInfo("/null").LinkCount);
            Assert.Equal(3u, fs.GetInfo("/null-again").DeviceMinor);
            fs.Delete("/null");
            fs.Delete("/null-again");
            fs.DeleteDirectory("/dev", recursive: true);
            Assert.Equal(freeInodes, fs.GetSpaceInfo().FreeInodes);
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }

    [Fact]
    public void Special_files_hold_no_data_and_bad_requests_change_nothing()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            var pipe = fs.CreateSpecialFile("/pipe", UnixFileType.Fifo);
            Assert.Throws<UnauthorizedAccessException>(() => fs.OpenFile("/pipe", FileMode.Open, FileAccess.Read));
            Assert.Throws<UnauthorizedAccessException>(() => fs.Read(pipe.Inode, 0, new byte[10]));
            Assert.Throws<UnauthorizedAccessException>(() => fs.Read(fs.RootInode, 0, new byte[10]));
            Assert.Throws<ArgumentException>(() => fs.CreateSpecialFile("/file", UnixFileType.RegularFile));
            Assert.Throws<ArgumentException>(() => fs.CreateSpecialFile("/pipe2", UnixFileType.Fifo, major: 1));
            Refusals.AssertKind(VexErrorKind.AlreadyExists, () => fs.CreateSpecialFile("/pipe", UnixFileType.Socket));
            Assert.Equal(["pipe"], fs.EnumerateEntries("/").Select(e => e.Name).Where(n => n != "lost+found"));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }
}
