using System.Globalization;

namespace VexFs.Mount.Tests;

/// <summary>Mounting, unmounting, signals, crashes and a device already in use.</summary>
[Collection(Mounts.Name)]
public sealed class LifecycleTests
{
    [Fact]
    public void Sigterm_unmounts_flushes_and_leaves_a_clean_filesystem()
    {
        using var mounted = MountedFileSystem.Create("64M");
        Shell.Ok("mkdir d && echo kept > d/f", mounted.MountPoint);
        var (exitCode, errors) = mounted.Terminate();
        Assert.True(exitCode == 0, errors);
        var check = mounted.Check();
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        mounted.Mount();
        Assert.Equal("kept\n", Shell.Ok("cat d/f", mounted.MountPoint));
    }

    [Fact]
    public void A_device_another_host_has_open_is_refused()
    {
        using var mounted = MountedFileSystem.Create("64M");
        string second = Path.Combine(mounted.Root, "second");
        Directory.CreateDirectory(second);
        var refused = Shell.Tool("mount.vexfs", mounted.Device, second);
        Assert.Equal(32, refused.ExitCode);
        Assert.Contains("in use", refused.Error, StringComparison.Ordinal);
        Assert.False(MountedFileSystem.IsMounted(second));
        var fsck = Shell.Tool("fsck.vexfs", "-n", mounted.Device);
        Assert.NotEqual(0, fsck.ExitCode);
    }

    [Fact]
    public void A_host_killed_mid_write_leaves_a_filesystem_the_next_mount_recovers()
    {
        using var mounted = MountedFileSystem.Create("512M");
        Shell.Ok("mkdir keep && for i in $(seq 1 50); do echo \"kept $i\" > keep/$i; done && sync -f keep/1", mounted.MountPoint);
        string expected = Shell.Ok("cat keep/*", mounted.MountPoint);

        // A writer goes on until the host dies under it.
        string writer = Path.Combine(mounted.Root, "writer.sh");
        File.WriteAllText(writer, "exec 2>/dev/null; i=0; while :; do i=$((i+1)); head -c 1M /dev/urandom > churn.$((i % 20)) || exit 0; echo $i > count || exit 0; done\n");
        var churn = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [writer]) { WorkingDirectory = mounted.MountPoint })!;
        Thread.Sleep(1500);
        mounted.Kill();
        Assert.True(churn.WaitForExit(TimeSpan.FromSeconds(30)), "the writer did not stop when the host died");

        mounted.Mount();
        Assert.Equal(expected, Shell.Ok("cat keep/*", mounted.MountPoint));
        Shell.Ok("ls -la > /dev/null && rm -f churn.* count && echo after > after", mounted.MountPoint);
        Assert.Equal(0, mounted.Unmount().ExitCode);
        var check = mounted.Check();
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
    }

    [Fact]
    public void Mount_t_vexfs_mounts_a_loop_device_in_the_background_and_umount_closes_it()
    {
        Assert.True(File.Exists("/sbin/mount.vexfs"), "/sbin/mount.vexfs is missing: scripts/install.sh (or scripts/test.sh as root) installs it");
        using var mounted = MountedFileSystem.Create("64M");
        Assert.Equal(0, mounted.Unmount().ExitCode);
        string loop = Shell.Ok($"losetup -f --show {mounted.Device}", mounted.Root).Trim();
        mounted.Device = loop;

        Shell.Ok($"mount -t vexfs -o allow_other,noatime {loop} {mounted.MountPoint}", mounted.Root, TimeSpan.FromMinutes(1));
        Assert.Equal($"{loop} fuse.vexfs\n", Shell.Ok($"findmnt -n -o SOURCE,FSTYPE {mounted.MountPoint} | tr -s ' '", mounted.Root));
        Shell.Ok("echo through the loop device > file && sync -f file", mounted.MountPoint);
        Shell.Ok($"umount {mounted.MountPoint}", mounted.Root);

        // The host closes the device once the kernel lets the mount go; fsck can open it then.
        Shell.Result check = default;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            check = mounted.Check();
            if (check.ExitCode == 0)
            {
                break;
            }

            Thread.Sleep(100);
        }

        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{loop}: "), check.Output, StringComparison.Ordinal);
    }
}
