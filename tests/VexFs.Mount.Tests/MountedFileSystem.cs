using System.Diagnostics;
using VexFs.BlockDevices;
using VexFs.Core;

namespace VexFs.Mount.Tests;

/// <summary>
/// A VexFS image (or loop device) made by mkfs.vexfs and mounted by mount.vexfs in the foreground, so that the
/// test holds the host process: unmounting waits for it to exit, and a crash test can kill it. Disposing
/// always unmounts (lazily if it must) and removes the files.
/// </summary>
internal sealed class MountedFileSystem : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Process? _host;
    private Task<string>? _hostErrors;

    private MountedFileSystem(string root, string device)
    {
        Root = root;
        Device = device;
        MountPoint = Path.Combine(root, "mnt");
        Directory.CreateDirectory(MountPoint);
    }

    /// <summary>The temporary directory holding the image and the mount point.</summary>
    public string Root { get; }

    /// <summary>The image file or block device mounted.</summary>
    public string Device { get; set; }

    public string MountPoint { get; }

    /// <summary>The host's process id while it runs.</summary>
    public int HostId => _host?.Id ?? throw new InvalidOperationException("not mounted");

    /// <summary>
    /// Formats a new sparse image of <paramref name="size"/> (as mkfs.vexfs takes it, with <paramref name="mkfs"/>
    /// options), lets <paramref name="prepare"/> change it through the library (create vector spaces), and mounts it.
    /// </summary>
    public static MountedFileSystem Create(string size = "1G", string options = "allow_other", Action<VexFileSystem>? prepare = null, string[]? mkfs = null)
    {
        string root = Directory.CreateTempSubdirectory("vexfs-mount-").FullName;
        var mounted = new MountedFileSystem(root, Path.Combine(root, "image"));
        try
        {
            var made = Shell.Tool("mkfs.vexfs", ["-q", .. mkfs ?? [], mounted.Device, size]);
            Assert.True(made.ExitCode == 0, made.Error);
            if (prepare is not null)
            {
                using var fs = mounted.Open(readOnly: false);
                prepare(fs);
            }

            mounted.Mount(options);
            return mounted;
        }
        catch
        {
            mounted.Dispose();
            throw;
        }
    }

    /// <summary>Starts mount.vexfs in the foreground and waits until the kernel lists the mount.</summary>
    public void Mount(string options = "allow_other")
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "mount.vexfs.dll"), Device, MountPoint, "-o", "foreground," + options })
        {
            start.ArgumentList.Add(argument);
        }

        _host = Process.Start(start)!;
        _host.StandardInput.Close();
        var errors = _host.StandardError.ReadToEndAsync();
        _ = _host.StandardOutput.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!IsMounted(MountPoint))
        {
            if (_host.HasExited || clock.Elapsed > Patience)
            {
                _host.Kill(entireProcessTree: true);
                _host.WaitForExit();
                string why = errors.Result;
                _host = null;
                Assert.Fail($"mount.vexfs did not mount {Device}: {why}");
            }

            Thread.Sleep(20);
        }

        _hostErrors = errors;
    }

    /// <summary>Unmounts with umount(8) and waits for the host to close the filesystem; returns its exit code and what it printed.</summary>
    public (int ExitCode, string Errors) Unmount()
    {
        var result = Shell.Run("umount", [MountPoint], limit: Patience);
        Assert.True(result.ExitCode == 0, $"umount: {result.Error}");
        return WaitForHost();
    }

    /// <summary>Unmounts, expects the host to exit 0, and expects fsck to find the filesystem clean.</summary>
    public void UnmountClean()
    {
        var (exitCode, errors) = Unmount();
        Assert.True(exitCode == 0, $"mount.vexfs exited with {exitCode}: {errors}");
        var check = Check();
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
    }

    /// <summary>Sends SIGTERM to the host and waits for it to unmount and close the filesystem.</summary>
    public (int ExitCode, string Errors) Terminate()
    {
        Shell.Run("kill", ["-TERM", HostId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var exit = WaitForHost();
        Assert.False(IsMounted(MountPoint), "the mount is still there after SIGTERM");
        return exit;
    }

    /// <summary>Kills the host with SIGKILL, as a crash would, and detaches the dead mount.</summary>
    public void Kill()
    {
        _host!.Kill();
        _host.WaitForExit();
        _host = null;
        Shell.Run("umount", ["-l", MountPoint]);
    }

    /// <summary>The unmounted filesystem through the library, to compare with what the mount showed.</summary>
    public VexFileSystem Open(bool readOnly = true) =>
        VexFileSystem.Open(BlockDevice.Open(Device, readOnly), new VexFileSystemOptions { ReadOnly = readOnly });

    /// <summary>fsck.vexfs -n -f on the device: its exit code and report.</summary>
    public Shell.Result Check() => Shell.Tool("fsck.vexfs", "-n", "-f", Device);

    /// <summary>
    /// fsck.vexfs -n -f once a host this fixture does not hold (one mount(8) or a user started) has closed the
    /// device: fsck is refused the device while the host has it open.
    /// </summary>
    public Shell.Result CheckOnceClosed()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var check = Check();
            if (!check.Error.Contains("in use", StringComparison.Ordinal) && !check.Error.Contains("busy", StringComparison.OrdinalIgnoreCase) || clock.Elapsed > Patience)
            {
                return check;
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Whether something is mounted on <paramref name="path"/>, from /proc/self/mountinfo.</summary>
    public static bool IsMounted(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ')[4] == path);

    public void Dispose()
    {
        if (IsMounted(MountPoint))
        {
            if (Shell.Run("umount", [MountPoint], limit: Patience).ExitCode != 0)
            {
                Shell.Run("umount", ["-l", MountPoint]);
            }
        }

        if (_host is { } host)
        {
            if (!host.WaitForExit(Patience))
            {
                host.Kill(entireProcessTree: true);
            }

            host.Dispose();
        }

        if (Device.StartsWith("/dev/loop", StringComparison.Ordinal))
        {
            Shell.Run("losetup", ["-d", Device]);
        }

        Directory.Delete(Root, recursive: true);
    }

    private (int ExitCode, string Errors) WaitForHost()
    {
        var host = _host!;
        if (!host.WaitForExit(Patience))
        {
            host.Kill(entireProcessTree: true);
            Assert.Fail("mount.vexfs did not exit after the unmount");
        }

        host.WaitForExit();
        int exitCode = host.ExitCode;
        _host = null;
        host.Dispose();
        return (exitCode, _hostErrors?.Result ?? string.Empty);
    }
}
