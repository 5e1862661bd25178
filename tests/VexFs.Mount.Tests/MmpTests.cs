using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Format;

namespace VexFs.Mount.Tests;

/// <summary>
/// Multi-mount protection between two processes: mount.vexfs holds an image made with -O mmp, and this process
/// opens the same image as another host would, without the local lock (flock) that would refuse it at once.
/// </summary>
public sealed class MmpTests
{
    private static readonly ImageFileOptions Unlocked = new() { Lock = false };
    private static readonly VexFileSystemOptions OtherHost = new() { NodeName = "other-host" };

    [Fact]
    public void Another_host_is_refused_while_mount_vexfs_lives_and_takes_over_after_kill_9()
    {
        using var mounted = MountedFileSystem.Create("64M", mkfs: ["-O", "mmp", "-E", "mmp_update_interval=1"]);
        Shell.Ok("mkdir keep && echo kept > keep/file && sync keep/file keep", mounted.MountPoint);

        using (var device = ImageFileDevice.Open(mounted.Device, Unlocked))
        {
            var refused = Assert.Throws<VexFsException>(() => VexFileSystem.Open(device, OtherHost, leaveOpen: true));
            Assert.Equal(VexErrorKind.Busy, refused.Kind);
            Assert.Contains($"in use by node '{Environment.MachineName}'", refused.Message, StringComparison.Ordinal);
        }

        Shell.Ok("echo still > keep/alive && sync keep/alive", mounted.MountPoint);
        mounted.Kill();

        using (var device = ImageFileDevice.Open(mounted.Device, Unlocked))
        using (var fs = VexFileSystem.Open(device, OtherHost, leaveOpen: true))
        {
            Assert.False(fs.IsReadOnly);
            using (var reader = new StreamReader(fs.OpenFile("/keep/file", FileMode.Open, FileAccess.Read)))
            {
                Assert.Equal("kept\n", reader.ReadToEnd());
            }

            Assert.True(fs.Exists("/keep/alive"));
            fs.CreateDirectory("/taken-over");
        }

        var check = mounted.Check();
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
    }
}
