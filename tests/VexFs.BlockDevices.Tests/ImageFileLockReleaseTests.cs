using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace VexFs.BlockDevices.Tests;

/// <summary>
/// A disposed image device must release its lock at once, even while other threads of the process start
/// child processes: a child between fork and exec holds a copy of every descriptor, and with it the open
/// file description the lock belongs to.
/// </summary>
public sealed class ImageFileLockReleaseTests : IDisposable
{
    private static readonly TimeSpan StressTime = TimeSpan.FromSeconds(3);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_disposed_image_can_be_reopened_at_once_while_child_processes_start()
    {
        using var stop = new CancellationTokenSource();
        var spawner = new Thread(() => StartChildren(stop.Token)) { IsBackground = true };
        spawner.Start();
        int rounds = 0;
        var failures = new List<string>();
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < StressTime)
            {
                string path = _directory.File($"lock-{rounds++}.img");
                ImageFileDevice.Create(path, 1 << 16).Dispose();
                try
                {
                    using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                }
                catch (IOException e)
                {
                    failures.Add(e.Message);
                }

                File.Delete(path);
            }
        }
        finally
        {
            stop.Cancel();
            spawner.Join();
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {rounds} reopenings failed, first: {failures.FirstOrDefault()}");
    }

    private static void StartChildren(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var child = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            child.WaitForExit();
        }
    }
}
