namespace VexFs.Mount.Tests;

/// <summary>
/// Ordinary calls refused for ordinary reasons, through the mount: each gets its own errno, the one ext4 gives
/// for the same call on a loop mount, never a blanket EIO.
/// </summary>
[Collection(Mounts.Name)]
public sealed class ErrnoTests
{
    private static readonly string[] Expected =
    [
        "open-missing ENOENT",
        "mkdir-exists EEXIST",
        "rmdir-nonempty ENOTEMPTY",
        "rmdir-file ENOTDIR",
        "unlink-dir EISDIR",
        "open-dir-for-write EISDIR",
        "stat-below-file ENOTDIR",
        "name-too-long ENAMETOOLONG",
        "symlink-loop ELOOP",
        "rename-into-itself EINVAL",
        "rename-dir-over-file ENOTDIR",
        "rename-file-over-dir EISDIR",
        "rename-over-nonempty-dir ENOTEMPTY",
        "hard-link-dir EPERM",
        "readlink-of-file EINVAL",
        "getxattr-missing ENODATA",
        "setxattr-create-existing EEXIST",
        "setxattr-replace-missing ENODATA",
        "getxattr-small-buffer ERANGE",
        "renameat2-noreplace EEXIST",
        "renameat2-exchange-missing ENOENT",
        "renameat2-exchange ok",
        "seek-data-past-end ENXIO",
        "write-past-largest-file EFBIG",
        "unlink-while-open ok",
        "write-after-unlink ok",
        "read-after-unlink ok",
        "rmdir-emptied ok",
        "seek-map 0-8192,1048576-1052672,ENXIO",
    ];

    [Fact]
    public void Each_refusal_gets_the_errno_ext4_gives()
    {
        string probe = Path.Combine(AppContext.BaseDirectory, "ErrnoProbe.py");
        using var mounted = MountedFileSystem.Create("256M");
        string work = Path.Combine(mounted.MountPoint, "probe");
        Directory.CreateDirectory(work);
        var onVexfs = Shell.Ok($"python3 {probe}", work).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Expected, onVexfs);

        string ext4 = Path.Combine(mounted.Root, "ext4");
        Directory.CreateDirectory(ext4);
        try
        {
            Shell.Ok($"truncate -s 64M ext4.img && mkfs.ext4 -q -F -b 4096 ext4.img && mount -o loop ext4.img {ext4} && mkdir {ext4}/probe", mounted.Root);
            var onExt4 = Shell.Ok($"python3 {probe}", Path.Combine(ext4, "probe")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Expected, onExt4);
        }
        finally
        {
            Shell.Bash($"umount {ext4} || umount -l {ext4}", mounted.Root);
        }

        mounted.UnmountClean();
    }

    [Fact]
    public void A_full_filesystem_refuses_with_ENOSPC_and_works_again_once_space_is_freed()
    {
        using var mounted = MountedFileSystem.Create("64M");
        var full = Shell.Bash("dd if=/dev/zero of=fill bs=1M count=200", mounted.MountPoint);
        Assert.NotEqual(0, full.ExitCode);
        Assert.Contains("No space left on device", full.Error, StringComparison.Ordinal);
        Shell.Ok("rm fill && dd if=/dev/zero of=again bs=1M count=8 status=none && test $(stat -c %s again) = 8388608", mounted.MountPoint);
        mounted.UnmountClean();
    }

    [Fact]
    public void With_the_writeback_cache_a_full_filesystem_is_reported_by_fsync_and_loses_nothing_written_before()
    {
        using var mounted = MountedFileSystem.Create("64M", "allow_other,writeback_cache");
        Shell.Ok("head -c 3000000 /dev/urandom > kept && sync kept && sha256sum kept > kept.sum", mounted.MountPoint);

        // The writes land in the kernel's cache; the library refuses them only when they are written back, and
        // fsync (dd's conv=fsync) is where the writer hears of it.
        var full = Shell.Bash("dd if=/dev/zero of=fill bs=1M count=200 conv=fsync", mounted.MountPoint);
        Assert.NotEqual(0, full.ExitCode);
        Assert.Contains("No space left on device", full.Error, StringComparison.Ordinal);

        Shell.Ok("rm fill && sha256sum -c --quiet kept.sum && dd if=/dev/zero of=again bs=1M count=8 conv=fsync status=none", mounted.MountPoint);
        mounted.UnmountClean();
    }

    [Fact]
    public void A_writeback_mount_has_a_disks_dirty_limits_and_the_default_keeps_the_kernels()
    {
        using var writeback = MountedFileSystem.Create("64M", "allow_other,writeback_cache");
        Assert.Equal(("0", "100"), DirtyLimits(writeback.MountPoint));
        writeback.UnmountClean();

        using var through = MountedFileSystem.Create("64M");
        Assert.Equal(("1", "1"), DirtyLimits(through.MountPoint));
        through.UnmountClean();
    }

    /// <summary>
    /// The strict_limit and max_ratio of the mount's backing device, read once the host has set them after INIT
    /// (the readahead, 4 MiB by default, is the last setting the host makes).
    /// </summary>
    private static (string Strict, string Ratio) DirtyLimits(string mountPoint)
    {
        string bdi = "/sys/class/bdi/" + Shell.Ok($"mountpoint -d {mountPoint}", "/").Trim();
        string Setting(string name) => File.ReadAllText(Path.Combine(bdi, name)).Trim();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Setting("read_ahead_kb") != "4096")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the host did not set the readahead of {bdi}");
            Thread.Sleep(20);
        }

        return (Setting("strict_limit"), Setting("max_ratio"));
    }

    [Fact]
    public void A_read_only_mount_reads_and_refuses_changes_with_EROFS()
    {
        using var mounted = MountedFileSystem.Create("64M");
        Shell.Ok("echo kept > file && mkdir dir", mounted.MountPoint);
        mounted.Unmount();
        mounted.Mount("ro,allow_other");
        Assert.Equal("kept\n", Shell.Ok("cat file", mounted.MountPoint));
        foreach (string change in new[] { "touch new", "mkdir other", "rm file", "echo x >> file", "rmdir dir", "setfattr -n user.a -v 1 file" })
        {
            var refused = Shell.Bash(change, mounted.MountPoint);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("Read-only file system", refused.Error, StringComparison.Ordinal);
        }

        mounted.UnmountClean();
    }
}
