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
        // fsync makes them durable; syncfs (sync -f) never reaches a FUSE filesystem.
        Shell.Ok("mkdir keep && for i in $(seq 1 50); do echo \"kept $i\" > keep/$i; done && sync keep/* keep", mounted.MountPoint);
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
        mounted.UnmountClean();
    }

    [Fact]
    public void The_readahead_option_sets_the_kernels_window_for_the_mount()
    {
        // 128 KiB, the kernel's own window for FUSE, keeps a sequential reader to one request in flight.
        using var mounted = MountedFileSystem.Create("64M", "allow_other,readahead=1024");
        Shell.Ok("echo x > file", mounted.MountPoint);
        Assert.Equal("1024\n", Shell.Ok($"cat /sys/class/bdi/$(mountpoint -d {mounted.MountPoint})/read_ahead_kb", mounted.Root));
        mounted.UnmountClean();
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
        Assert.Equal("4096\n", Shell.Ok($"cat /sys/class/bdi/$(mountpoint -d {mounted.MountPoint})/read_ahead_kb", mounted.Root));
        Shell.Ok($"umount {mounted.MountPoint}", mounted.Root);

        // The host closes the device once the kernel lets the mount go; fsck can open it then.
        var check = mounted.CheckOnceClosed();
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{loop}: "), check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_mounts_an_image_of_their_own_through_fusermount3_and_unmounts_it_with_fusermount3()
    {
        using var mounted = MountedFileSystem.Create("64M");
        Shell.Ok("echo from root > public && mkdir home && chown nobody home", mounted.MountPoint);
        Assert.Equal(0, mounted.Unmount().ExitCode);

        // The user runs a copy of the tools from a place they can read, on an image and a mount point they own;
        // fusermount3 opens /dev/fuse as the user, so it must be open to all, as udev leaves it on Debian.
        string tools = Path.Combine(mounted.Root, "tools");
        Shell.Ok($"chmod 755 {mounted.Root} && cp -r {AppContext.BaseDirectory} {tools} && chown nobody {mounted.Device} {mounted.MountPoint}", mounted.Root);
        string mode = Shell.Ok("stat -c %a /dev/fuse", mounted.Root).Trim();
        try
        {
            Shell.Ok("chmod 666 /dev/fuse", mounted.Root);
            string asUser = "runuser -u nobody -- env DOTNET_CLI_HOME=/tmp";
            Shell.Ok($"{asUser} dotnet {tools}/mount.vexfs.dll {mounted.Device} {mounted.MountPoint}", mounted.Root, TimeSpan.FromMinutes(1));
            string listed = Shell.Ok($"findmnt -n -o FSTYPE,OPTIONS {mounted.MountPoint}", mounted.Root);
            Assert.StartsWith("fuse.vexfs ", listed, StringComparison.Ordinal);
            Assert.Contains("user_id=65534", listed, StringComparison.Ordinal);
            Assert.Equal("from root\nmine\n", Shell.Ok($"{asUser} sh -c 'cd {mounted.MountPoint} && cat public && echo mine > home/file && cat home/file'", mounted.Root));
            var refused = Shell.Bash($"{asUser} touch {mounted.MountPoint}/not-in-my-directory", mounted.Root);
            Assert.Contains("Permission denied", refused.Error, StringComparison.Ordinal);
            Shell.Ok($"{asUser} fusermount3 -u {mounted.MountPoint}", mounted.Root);
        }
        finally
        {
            Shell.Run("chmod", [mode, "/dev/fuse"]);
        }

        var check = mounted.CheckOnceClosed();
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
    }
}
