using System.Security.Cryptography;
using VexFs.BlockDevices;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// Many threads on one instance, on every device kind: writes, renames within and across directories, files
/// deleted while open, listings and flushes at once; each thread's files are intact, and fsck agrees.
/// </summary>
public sealed class ConcurrencyTests : IDisposable
{
    private readonly DeviceKinds _kinds = new();

    public static TheoryData<string> Kinds => DeviceKinds.All;

    public void Dispose() => _kinds.Dispose();

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Threads_writing_reading_listing_renaming_and_flushing_at_once_leave_a_consistent_filesystem(string kind)
    {
        using var device = _kinds.Create(kind, 256L << 20);
        const int Threads = 8;
        const int FilesPerThread = 40;
        var expected = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>();
        using (var fs = VexFileSystem.Format(device, new Format.FormatOptions { BlockSize = 1024 }, new VexFileSystemOptions { BlockCacheBytes = 64 << 10 }, leaveOpen: true))
        {
            fs.CreateDirectory("/shared");
            var workers = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
            {
                var random = new Random(t);
                string dir = $"/t{t}";
                fs.CreateDirectory(dir);
                for (int i = 0; i < FilesPerThread; i++)
                {
                    string path = $"{dir}/f{i}";
                    var content = Patterns.Random(random.Next(1, 40_000), seed: (t * 1000) + i);
                    using (var stream = fs.OpenFile(path + ".tmp", FileMode.CreateNew))
                    {
                        for (int at = 0; at < content.Length; at += 3000)
                        {
                            stream.Write(content.AsSpan(at, Math.Min(3000, content.Length - at)));
                        }
                    }

                    fs.SetXattr(path + ".tmp", "user.sha", SHA256.HashData(content));
                    fs.Move(path + ".tmp", path);
                    expected[path] = content;
                    if (i % 3 == 0)
                    {
                        // Readers of other threads' directories run alongside.
                        string other = $"/t{random.Next(Threads)}";
                        if (fs.Exists(other))
                        {
                            foreach (var entry in fs.EnumerateEntries(other))
                            {
                                Assert.False(string.IsNullOrEmpty(entry.Name));
                            }
                        }
                    }

                    if (i % 10 == 0)
                    {
                        fs.Flush();
                    }

                    if (i % 5 == 2)
                    {
                        // Across directories, and an orphan: the name moves to the shared directory and goes
                        // while a stream still reads the file, which is freed when that stream closes.
                        using var open = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
                        fs.Move(path, $"/shared/t{t}-{i}");
                        fs.Delete($"/shared/t{t}-{i}");
                        expected.TryRemove(path, out _);
                        var back = new byte[open.Length];
                        open.ReadExactly(back);
                        Assert.Equal(content, back);
                    }

                    if (i % 4 == 1 && expected.TryRemove($"{dir}/f{i - 1}", out _))
                    {
                        fs.Delete($"{dir}/f{i - 1}");
                    }
                }
            }, TestContext.Current.CancellationToken)).ToArray();
            await Task.WhenAll(workers);

            var checkers = expected.Keys.Chunk(40).Select(paths => Task.Run(() =>
            {
                foreach (string path in paths)
                {
                    using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
                    var back = new byte[stream.Length];
                    stream.ReadExactly(back);
                    Assert.Equal(expected[path], back);
                    Assert.Equal(SHA256.HashData(back), fs.GetXattr(path, "user.sha"));
                }
            }, TestContext.Current.CancellationToken)).ToArray();
            await Task.WhenAll(checkers);
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join("; ", report.Findings));
        using var again = VexFileSystem.Open(device, leaveOpen: true);
        Assert.Equal(expected.Count, Enumerable.Range(0, Threads).Sum(t => again.EnumerateEntries($"/t{t}").Count()));
        Assert.Empty(again.EnumerateEntries("/shared"));
    }

    [Fact]
    public async Task Concurrent_flushes_each_return_after_their_operations_are_durable()
    {
        using var device = new BlockDevices.CrashSimulation.CrashSimulatingDevice(32L << 20);
        Format.Formatter.Format(device, new Format.FormatOptions { BlockSize = 1024, JournalSize = 512 << 10 });
        var fs = VexFileSystem.Open(device, leaveOpen: true);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                fs.CreateDirectory($"/t{t}-{i}");
                fs.Flush();
            }
        }, TestContext.Current.CancellationToken)));

        using var image = device.CrashImage(BlockDevices.CrashSimulation.CrashPlan.Prefix(0));
        using var after = VexFileSystem.Open(image, leaveOpen: true);
        Assert.Equal(80, after.EnumerateEntries("/").Count(e => e.Name.StartsWith('t')));
    }

    [Fact]
    public void Flushes_that_arrive_together_share_journal_commits()
    {
        // The same 80 create+flush pairs, from one thread and from four, on a device whose cache flushes take
        // 2 ms: a flush that finds its operation committed by another thread's flush costs no barrier.
        const int Threads = 4;
        const int PerThread = 20;
        long Barriers(int threads)
        {
            var crash = new BlockDevices.CrashSimulation.CrashSimulatingDevice(32L << 20);
            Format.Formatter.Format(crash, new Format.FormatOptions { BlockSize = 1024, JournalSize = 512 << 10 });
            var slow = new BlockDevices.FaultInjection.FaultRule { Kind = BlockDevices.FaultInjection.FaultKind.Latency, Operations = BlockDevices.FaultInjection.DeviceOperations.Flush, Latency = TimeSpan.FromMilliseconds(2) };
            using var device = new BlockDevices.FaultInjection.FaultInjectingDevice(crash, [slow], seed: 1);
            using var fs = VexFileSystem.Open(device, leaveOpen: true);
            long before = crash.FlushCount;
            RunThreads(threads, t =>
            {
                for (int i = 0; i < Threads * PerThread / threads; i++)
                {
                    fs.CreateDirectory($"/t{t}-{i}");
                    fs.Flush();
                }
            });
            long barriers = crash.FlushCount - before;
            using var durable = crash.DurableImage();
            using var after = VexFileSystem.Open(durable, leaveOpen: true);
            Assert.Equal(Threads * PerThread, after.EnumerateEntries("/").Count(e => e.Name.StartsWith('t')));
            return barriers;
        }

        long alone = Barriers(1);
        long together = Barriers(Threads);
        Assert.True(together < alone * 2 / 3, $"{Threads} threads flushing needed {together} device flushes, one thread {alone}");
    }

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="count"/> threads of their own, all at once, and waits for
    /// them: the thread pool starts with one thread per processor and adds more slowly, and other tests share it.
    /// </summary>
    internal static void RunThreads(int count, Action<int> body)
    {
        Exception? failure = null;
        var threads = Enumerable.Range(0, count).Select(t => new Thread(() =>
        {
            try
            {
                body(t);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failure is not null)
        {
            throw new AggregateException(failure);
        }
    }
}

/// <summary>
/// Writes to different files move their data at the same time: a device that counts overlapping large
/// writes sees more than one, and a reader of a file never sees blocks a write has not filled yet.
/// </summary>
public sealed class ParallelDataTests
{
    [Fact]
    public void Data_of_writes_to_different_files_reaches_the_device_in_parallel()
    {
        using var device = new OverlapCountingDevice(new MemoryBlockDevice(256L << 20));
        using var fs = VexFileSystem.Format(device, leaveOpen: true);
        var streams = Enumerable.Range(0, 4).Select(i => fs.OpenFile($"/f{i}", FileMode.CreateNew)).ToArray();
        ConcurrencyTests.RunThreads(streams.Length, i =>
        {
            var chunk = Patterns.Random(256 << 10, seed: i);
            for (int n = 0; n < 16; n++)
            {
                streams[i].Write(chunk);
            }
        });

        Assert.True(device.MaxOverlap >= 2, $"at most {device.MaxOverlap} large writes overlapped");
        foreach (var (stream, i) in streams.Select((s, i) => (s, i)))
        {
            stream.Position = 15L * (256 << 10);
            var back = new byte[256 << 10];
            stream.ReadExactly(back);
            Assert.Equal(Patterns.Random(256 << 10, seed: i), back);
            stream.Dispose();
        }
    }

    [Fact]
    public async Task Readers_of_a_growing_file_see_only_written_bytes()
    {
        using var device = new OverlapCountingDevice(new MemoryBlockDevice(64L << 20));
        using var fs = VexFileSystem.Format(device, leaveOpen: true);
        using var writer = fs.OpenFile("/grow", FileMode.CreateNew);
        using var reader = fs.OpenFile("/grow", FileMode.Open, FileAccess.Read);
        var chunk = Patterns.Filled(128 << 10, 0xAB);
        var write = Task.Run(() =>
        {
            for (int n = 0; n < 40; n++)
            {
                writer.Write(chunk);
            }
        }, TestContext.Current.CancellationToken);
        var buffer = new byte[1 << 20];
        while (!write.IsCompleted)
        {
            long length = reader.Length;
            reader.Position = 0;
            int read = reader.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, length)));
            Assert.All(buffer.AsSpan(0, read).ToArray(), b => Assert.Equal(0xAB, b));
        }

        await write;
        Assert.Equal(40L * chunk.Length, reader.Length);
    }

    [Fact]
    public async Task A_write_accepted_before_its_data_moves_holds_readers_and_flushes_until_the_data_is_there()
    {
        using var device = new BlockDevices.CrashSimulation.CrashSimulatingDevice(64L << 20);
        Format.Formatter.Format(device, new Format.FormatOptions());
        var data = Patterns.Random(1 << 20, seed: 5);
        Task<byte[]>? read = null;
        Task? flush = null;
        bool readEarly = true, flushedEarly = true;
        long sizeWhenAccepted = -1;
        int calls = 0;
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            long inode = fs.CreateFile(fs.RootInode, "f", 0x1A4, 0, 0).Inode;
            fs.Flush();
            fs.Write(inode, 4096, data, () =>
            {
                calls++;
                sizeWhenAccepted = fs.GetInfo(inode).Size;
                read = Task.Run(() =>
                {
                    var back = new byte[data.Length];
                    fs.Read(inode, 4096, back);
                    return back;
                });
                flush = Task.Run(fs.Flush);

                // Neither may finish while the data has yet to move.
                readEarly = read.Wait(300);
                flushedEarly = flush.Wait(0);
            });

            Assert.Equal(1, calls);
            Assert.Equal(4096 + data.Length, sizeWhenAccepted);
            Assert.False(readEarly, "a read finished before the write's data moved");
            Assert.False(flushedEarly, "a flush finished before the write's data moved");
            Assert.Equal(data, await read!);
            await flush!;

            // Refused writes are not accepted.
            Refusals.AssertKind(Format.VexErrorKind.IsADirectory, () => fs.Write(fs.RootInode, 0, data, () => calls++));
            Assert.Equal(1, calls);
        }

        // The flush that waited made the data durable: a power cut right after it keeps it.
        using var image = device.CrashImage(BlockDevices.CrashSimulation.CrashPlan.Prefix(0));
        using var after = VexFileSystem.Open(image, leaveOpen: true);
        var kept = new byte[data.Length];
        after.Read(after.GetInfo("/f").Inode, 4096, kept);
        Assert.Equal(data, kept);
    }

    [Fact]
    public void A_device_failure_after_a_write_was_accepted_is_reported_by_the_next_flush()
    {
        using var device = new FailingLargeWrites(new MemoryBlockDevice(64L << 20));
        Format.Formatter.Format(device, new Format.FormatOptions());
        using var fs = VexFileSystem.Open(device, leaveOpen: true);
        long inode = fs.CreateFile(fs.RootInode, "f", 0x1A4, 0, 0).Inode;
        fs.Flush();

        Assert.ThrowsAny<IOException>(() => fs.Write(inode, 0, Patterns.Random(1 << 20, seed: 6), () => device.Failing = true));
        Assert.True(fs.Health.HasErrors);
        Assert.ThrowsAny<IOException>(fs.Flush);
    }

    /// <summary>Fails writes of 64 KiB or more (file data, not metadata) once told to.</summary>
    private sealed class FailingLargeWrites(BlockDevice inner) : ForwardingDevice(inner, "failing")
    {
        public volatile bool Failing;

        protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
        {
            if (Failing && buffer.Length >= 64 << 10)
            {
                throw new IOException("injected: the device failed", 5);
            }

            Inner.Write(offset, buffer);
        }
    }

    /// <summary>Counts how many writes of 64 KiB or more are inside the device at once; each takes a moment.</summary>
    private sealed class OverlapCountingDevice(BlockDevice inner) : ForwardingDevice(inner, "overlap-counting")
    {
        private int _current;
        private int _max;

        public int MaxOverlap => Volatile.Read(ref _max);

        protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
        {
            if (buffer.Length < 64 << 10)
            {
                Inner.Write(offset, buffer);
                return;
            }

            int now = Interlocked.Increment(ref _current);
            for (int seen = Volatile.Read(ref _max); now > seen; seen = Volatile.Read(ref _max))
            {
                Interlocked.CompareExchange(ref _max, now, seen);
            }

            Thread.Sleep(2);
            Inner.Write(offset, buffer);
            Interlocked.Decrement(ref _current);
        }
    }
}
