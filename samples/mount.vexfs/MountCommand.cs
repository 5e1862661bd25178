using System.Diagnostics;
using System.Runtime.InteropServices;
using MountVexfs.Fuse;
using MountVexfs.Host;
using MountVexfs.Native;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Format.Records;

namespace MountVexfs;

/// <summary>
/// mount.vexfs DEVICE DIR [-o OPTIONS]: mounts a VexFS filesystem through FUSE, as mount(8) runs it for
/// `mount -t vexfs`, as root or (through fusermount3) as the user who owns the device and the mount point.
/// Without foreground it starts itself again in the background to serve the mount and returns once the mount
/// is in place (or with the reason it failed). Exit status as mount(8) defines it.
/// </summary>
internal static class MountCommand
{
    public const int ExitUsage = 1;
    public const int ExitFailure = 32;

    /// <summary>The argument that makes the background copy serve the mount and report when it is ready.</summary>
    private const string ServeArgument = "--serve";
    private const string ReadyLine = "ready";

    private const string Usage = "usage: mount.vexfs DEVICE DIR [-o ro|rw,allow_other,default_permissions,foreground,debug,nosuid,nodev,noexec,noatime,block_cache=MiB,name_cache=N,workers=N,readahead=KiB,writeback_cache]";

    public static int Run(string[] args)
    {
        bool serve = args.Contains(ServeArgument);
        MountOptions options;
        try
        {
            options = MountOptions.Parse(args.Where(a => a != ServeArgument).ToList());
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"mount.vexfs: {e.Message}");
            Console.Error.WriteLine(Usage);
            return ExitUsage;
        }

        if (!Directory.Exists(options.MountPoint))
        {
            Console.Error.WriteLine($"mount.vexfs: mount point {options.MountPoint} does not exist or is not a directory");
            return ExitFailure;
        }

        return serve || options.Foreground ? Serve(options, background: serve) : StartInBackground(options);
    }

    /// <summary>Starts the host that serves the mount, and waits until it says the mount is ready or why it failed.</summary>
    private static int StartInBackground(MountOptions options)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Run from the build output rather than installed natively.
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mount.vexfs.dll"));
        }

        start.ArgumentList.Add(options.Device);
        start.ArgumentList.Add(options.MountPoint);
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(options.ToOptionString());
        start.ArgumentList.Add(ServeArgument);

        using var host = Process.Start(start)!;
        host.StandardInput.Close();
        var errors = host.StandardError.ReadToEndAsync();
        if (host.StandardOutput.ReadLine() == ReadyLine)
        {
            // The host keeps its ends of the pipes; what it may still write goes nowhere.
            return 0;
        }

        host.WaitForExit();
        string error = errors.GetAwaiter().GetResult();
        Console.Error.Write(error.Length > 0 ? error : $"mount.vexfs: the host exited with status {host.ExitCode} before the mount was ready\n");
        return ExitFailure;
    }

    /// <summary>Opens the filesystem, mounts it and serves it until it is unmounted or the host is told to stop.</summary>
    private static int Serve(MountOptions options, bool background)
    {
        if (background)
        {
            // Out of the caller's session: a hangup of its terminal does not reach the mount.
            LibC.SetSid();
        }

        TextWriter? log = options.Debug ? TextWriter.Synchronized(Console.Error) : null;
        VexFileSystem fileSystem;
        try
        {
            var device = BlockDevice.Open(options.Device, options.ReadOnly);
            try
            {
                fileSystem = VexFileSystem.Open(device, Settings(options));
            }
            catch
            {
                device.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine(e is DeviceBusyException
                ? $"mount.vexfs: {options.Device} is in use (mounted, or open in another program)"
                : $"mount.vexfs: {options.Device}: {e.Message}");
            return ExitFailure;
        }

        FuseDevice fuse;
        try
        {
            fuse = KernelMount.Mount(options, (int)UnixFileType.Directory | fileSystem.GetInfo(fileSystem.RootInode).Permissions);
        }
        catch (IOException e)
        {
            fileSystem.Dispose();
            Console.Error.WriteLine($"mount.vexfs: {e.Message}");
            return ExitFailure;
        }

        using var served = fuse;
        var operations = new VexFuseOperations(fileSystem);
        bool writeback = options.WritebackCache && !options.ReadOnly;
        var session = new FuseSession(fuse, operations, options.Workers, writeback, log)
        {
            Initialized = () => BackingDevice.Apply(options.MountPoint, options.ReadaheadKibibytes, writeback, log),
        };
        operations.AttributesChanged = session.InvalidateAttributes;

        int stopping = 0;
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Exchange(ref stopping, 1) == 0)
            {
                KernelMount.Detach(options.MountPoint);
                session.Stop();
            }
        }

        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        if (background)
        {
            Console.Out.WriteLine(ReadyLine);
            Console.Out.Flush();
        }

        int status = 0;
        try
        {
            session.Run();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"mount.vexfs: {e.Message}");
            KernelMount.Detach(options.MountPoint);
            status = ExitFailure;
        }
        finally
        {
            operations.CloseAll();
            fileSystem.Dispose();
        }

        log?.WriteLine($"mount.vexfs: {options.MountPoint} unmounted, {options.Device} closed cleanly");
        return status;
    }

    private static VexFileSystemOptions Settings(MountOptions options)
    {
        var settings = VexFileSystemOptions.Default with { ReadOnly = options.ReadOnly };
        if (options.BlockCacheBytes is { } cache)
        {
            settings = settings with { BlockCacheBytes = cache };
        }

        if (options.NameCacheEntries is { } names)
        {
            settings = settings with { NameCacheEntries = names };
        }

        return settings;
    }
}
