using System.Diagnostics;

namespace VexFs.BlockDevices.Tests;

/// <summary>
/// A real loop device attached to a sparse image file with losetup, detached on disposal. Tests that need
/// one call <see cref="SkipUnlessAvailable"/>: they are skipped, with the reason, where loop devices cannot
/// be attached, unless VEXFS_REQUIRE_LOOP=1 demands them (as CI does).
/// </summary>
internal sealed class LoopDevice : IDisposable
{
    private readonly TempDirectory _directory;

    private LoopDevice(TempDirectory directory, string imagePath, string path)
    {
        _directory = directory;
        ImagePath = imagePath;
        Path = path;
    }

    public string ImagePath { get; }

    public string Path { get; }

    public static void SkipUnlessAvailable()
    {
        string? reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "loop devices exist on Linux only";
        }
        else if (Environment.UserName != "root")
        {
            reason = "attaching a loop device needs root";
        }
        else if (!File.Exists("/dev/loop-control"))
        {
            reason = "this kernel has no /dev/loop-control";
        }
        else if (Run("losetup", "--version").ExitCode != 0)
        {
            reason = "losetup is not installed";
        }

        if (reason is not null)
        {
            Assert.False(Environment.GetEnvironmentVariable("VEXFS_REQUIRE_LOOP") == "1", $"Loop devices are required here, but {reason}.");
            Assert.Skip($"Loop-device test skipped: {reason}.");
        }
    }

    public static LoopDevice Attach(long length)
    {
        SkipUnlessAvailable();
        var directory = new TempDirectory();
        string image = directory.File("loop.img");
        using (var file = File.Create(image))
        {
            file.SetLength(length);
        }

        var (exit, output) = Run("losetup", "-f", "--show", image);
        if (exit != 0)
        {
            directory.Dispose();
            throw new InvalidOperationException($"losetup could not attach {image}: {output}");
        }

        return new LoopDevice(directory, image, output.Trim());
    }

    public static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, e.Message);
        }
    }

    public void Dispose()
    {
        Run("losetup", "-d", Path);
        _directory.Dispose();
    }
}
