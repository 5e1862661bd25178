using System.Diagnostics;
using VexFs.BlockDevices.Nbd;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// A filesystem on an NBD export whose server (nbdkit's file plugin) is killed with SIGKILL in the middle of a
/// workload: the instance fails with I/O errors instead of hanging, and after the server is started again on the
/// same image, the filesystem opens, every file flushed before the kill reads back as written, and fsck is clean.
/// </summary>
public sealed class NbdCrashTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Files_flushed_before_the_server_is_killed_survive_and_fsck_is_clean(int seed)
    {
        string image = _directory.File("fs.img");
        using (var file = File.Create(image))
        {
            file.SetLength(64L << 20);
        }

        var random = new Random(seed);
        var durable = new List<(string Path, int Seed, int Length)>();
        var completed = new List<(string Path, int Seed, int Length)>();
        Exception? failure = null;
        int flushes = 0;
        var watch = Stopwatch.StartNew();
        using (var server = NbdServer.Nbdkit(_directory.Path, tcp: false, "file", image))
        {
            var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), new NbdDeviceOptions { Connections = 2 });
            var fs = VexFileSystem.Format(device, new FormatOptions { BlockSize = 4096 });
            int killAfterFlushes = random.Next(3, 12);
            var workload = Task.Run(() =>
            {
                try
                {
                    for (int i = 0; ; i++)
                    {
                        string directory = $"/d{i % 7}";
                        if (!fs.Exists(directory))
                        {
                            fs.CreateDirectory(directory);
                        }

                        int length = random.Next(1, 300_000);
                        string path = $"{directory}/f{i}";
                        using (var stream = fs.OpenFile(path, FileMode.CreateNew))
                        {
                            stream.Write(Patterns.Random(length, seed: (seed * 100_000) + i));
                        }

                        lock (completed)
                        {
                            completed.Add((path, (seed * 100_000) + i, length));
                        }

                        if (random.Next(4) == 0)
                        {
                            var flushedNow = completed.ToList();
                            fs.Flush();
                            lock (durable)
                            {
                                durable.Clear();
                                durable.AddRange(flushedNow);
                            }

                            Interlocked.Increment(ref flushes);
                        }
                    }
                }
                catch (IOException e)
                {
                    failure = e;
                }
            }, TestContext.Current.CancellationToken);

            // Kill once a few flushes are durable, while the workload is still writing.
            while (Volatile.Read(ref flushes) < killAfterFlushes && !workload.IsCompleted)
            {
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }

            Assert.False(workload.IsCompleted, $"seed {seed}: the workload ended before the kill: {failure}");
            server.Kill();
            await workload.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken); // a TimeoutException if it hung
            Assert.IsType<IOException>(failure, exactMatch: false);
            Assert.True(fs.IsReadOnly, $"seed {seed}: the instance did not latch read-only: {failure}");
            try
            {
                fs.Dispose();
            }
            catch (IOException)
            {
                // The device is gone: what the instance could not write at its end is the journal's to recover.
            }

            device.Dispose();
        }

        using (var restarted = NbdServer.Nbdkit(_directory.Path, tcp: true, "file", image))
        using (var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(restarted.Uri)))
        {
            using (var fs = VexFileSystem.Open(device, leaveOpen: true))
            {
                foreach (var (path, dataSeed, length) in durable)
                {
                    using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
                    var back = new byte[length + 1];
                    int read = stream.ReadAtLeast(back, back.Length, throwOnEndOfStream: false);
                    Assert.True(
                        read == length && back.AsSpan(0, read).SequenceEqual(Patterns.Random(length, dataSeed)),
                        $"seed {seed}: {path}, flushed before the kill, does not read back as written");
                }
            }

            var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
            Assert.True(report.IsClean, $"seed {seed}: fsck after the restart: {string.Join("; ", report.Findings)}");
        }

        Assert.True(durable.Count > 0, $"seed {seed}: nothing was flushed before the kill");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"seed {seed}: took {watch.Elapsed}");
    }
}
