using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using VexFs.BlockDevices;
using VexFs.Vectors;

namespace VexFs.Core.Tests;

/// <summary>
/// The <c>VexFs</c> meter, read through a <see cref="MeterListener"/> as dotnet-counters and OpenTelemetry read
/// it: its device counts against those of a device underneath that counts for itself, its journal commits
/// against the flushes that made them, its histograms against the calls they time.
/// </summary>
public sealed class FileSystemMetricsTests
{
    [Fact]
    public void The_meter_counts_what_the_device_saw_and_times_each_flush_and_search()
    {
        using var factory = new ScopedMeterFactory();
        using var device = new CountingDevice(new MemoryBlockDevice(64L << 20));
        VexFileSystem.Format(device, leaveOpen: true).Dispose();
        var options = new VexFileSystemOptions { MeterFactory = factory, CommitInterval = TimeSpan.FromHours(1), MaxUnflushedOperations = 100_000, MaxUnflushedBytes = 1L << 30 };
        using var fs = VexFileSystem.Open(device, options, leaveOpen: true);
        using var collector = new Collector(factory);
        Assert.All(collector.MeterTags, tags => Assert.Contains(new KeyValuePair<string, object?>("vexfs.filesystem.uuid", fs.Uuid.ToString()), tags));

        var before = collector.Observe();
        var (reads, writes, flushes, bytesRead, bytesWritten) = device.Counts;
        fs.CreateVectorSpace("v", 4, VectorMetric.L2);
        fs.CreateDirectory("/d");
        var random = new Random(3);
        for (int i = 0; i < 20; i++)
        {
            using (var file = fs.OpenFile($"/d/f{i}", FileMode.CreateNew))
            {
                file.Write(new byte[10_000 + i]);
            }

            fs.SetVector($"/d/f{i}", "v", [(float)random.NextDouble(), 1, 2, 3]);
            if (i % 5 == 4)
            {
                fs.Flush();
            }
        }

        for (int q = 0; q < 3; q++)
        {
            fs.Search("/", "v", [0.5f, 1, 2, 3], 5, new VexSearchOptions { Effort = 40 });
        }

        fs.Search("/d", "v", [0.5f, 1, 2, 3], 7, new VexSearchOptions { Exact = true });
        using var open1 = fs.OpenFile("/d/f1", FileMode.Open);
        using var open2 = fs.OpenFile("/d/f2", FileMode.Open, FileAccess.Read);
        var after = collector.Observe();
        var (reads2, writes2, flushes2, bytesRead2, bytesWritten2) = device.Counts;

        long Delta(string name, string tag) => after[(name, tag)] - before.GetValueOrDefault((name, tag));
        Assert.Equal(bytesWritten2 - bytesWritten, Delta("vexfs.device.io", "write"));
        Assert.Equal(bytesRead2 - bytesRead, Delta("vexfs.device.io", "read"));
        Assert.Equal(writes2 - writes, Delta("vexfs.device.operations", "write"));
        Assert.Equal(reads2 - reads, Delta("vexfs.device.operations", "read"));
        Assert.Equal(flushes2 - flushes, Delta("vexfs.device.operations", "flush"));
        Assert.True(writes2 > writes && flushes2 > flushes);

        // Each of the four flushes committed what had completed since the one before: one commit each, two barriers each.
        Assert.Equal(4, Delta("vexfs.journal.commits", ""));
        Assert.True(Delta("vexfs.journal.transactions", "") >= 4);
        Assert.Equal(4, collector.Recorded("vexfs.journal.commit.size").Count);
        Assert.True(collector.Recorded("vexfs.journal.commit.size").Sum(m => m.Value) <= bytesWritten2 - bytesWritten);
        Assert.Equal(4, collector.Recorded("vexfs.flush.duration").Count);
        Assert.True(flushes2 - flushes >= 8);

        // Every device operation was timed while the listener listened.
        var timed = collector.Recorded("vexfs.device.operation.duration");
        Assert.Equal((reads2 - reads, writes2 - writes, flushes2 - flushes), (timed.Count(m => m.Tag == "read"), timed.Count(m => m.Tag == "write"), timed.Count(m => m.Tag == "flush")));
        Assert.All(timed, m => Assert.True(m.Value >= 0));

        var searches = collector.Recorded("vexfs.vector.search.duration");
        Assert.Equal(["approximate", "approximate", "approximate", "exact"], searches.Select(m => m.Extra));
        Assert.All(searches, m => Assert.Equal("v", m.Tag));
        Assert.Equal([40, 40, 40, 7], collector.Recorded("vexfs.vector.search.effort").Select(m => (int)m.Value));

        Assert.Equal(2, after[("vexfs.file.open", "")]);
        Assert.Equal(20, after[("vexfs.vector.count", "v")]);
        Assert.True(after[("vexfs.vector.index.memory", "v")] > 0);
        var space = fs.GetSpaceInfo();
        Assert.Equal(space.FreeBlocks * space.BlockSize, after[("vexfs.filesystem.usage", "free")]);
        Assert.Equal(space.TotalBlocks * space.BlockSize, after[("vexfs.filesystem.usage", "used")] + after[("vexfs.filesystem.usage", "free")]);
        Assert.Equal(space.TotalBlocks * space.BlockSize, after[("vexfs.filesystem.limit", "")]);
        Assert.True(Delta("vexfs.filesystem.usage", "used") >= 20 * 10_000, "20 files of 10 KB took no space");
        Assert.Equal(space.TotalInodes - space.FreeInodes, after[("vexfs.filesystem.inodes.usage", "used")]);
        Assert.True(Delta("vexfs.cache.lookups", "hit") + Delta("vexfs.cache.lookups", "miss") > 0);

        // The factory's meter outlives the filesystem; once closed, it reports nothing of it.
        open1.Dispose();
        open2.Dispose();
        fs.Dispose();
        Assert.Empty(collector.Observe());
    }

    [Fact]
    public void Without_a_factory_each_filesystem_has_a_meter_of_its_own_that_closes_with_it()
    {
        // Other tests open filesystems meanwhile: every read of what the listener saw is taken under its lock.
        var seen = new List<Instrument>();
        var completed = new HashSet<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listening) =>
            {
                if (instrument.Meter.Name == "VexFs")
                {
                    lock (seen)
                    {
                        seen.Add(instrument);
                    }

                    listening.EnableMeasurementEvents(instrument);
                }
            },
            MeasurementsCompleted = (instrument, _) =>
            {
                lock (seen)
                {
                    completed.Add(instrument);
                }
            },
        };
        listener.Start();
        List<Instrument> ours;
        using (var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20)))
        {
            lock (seen)
            {
                var meter = seen.Select(i => i.Meter).Distinct().Single(m => m.Tags!.Contains(new KeyValuePair<string, object?>("vexfs.filesystem.uuid", fs.Uuid.ToString())));
                ours = [.. seen.Where(i => i.Meter == meter)];
            }

            Assert.Contains(ours, i => i.Name == "vexfs.device.io");
            Assert.Contains(ours, i => i.Name == "vexfs.vector.search.duration");
            Assert.All(ours, i => Assert.True(i.Enabled, $"{i.Name} is not enabled"));
        }

        // Closing the filesystem disposes its meter: each of its instruments is completed and no longer enabled.
        lock (seen)
        {
            Assert.All(ours, i => Assert.Contains(i, completed));
        }

        Assert.All(ours, i => Assert.False(i.Enabled, $"{i.Name} is still enabled"));
    }

    [Fact]
    public void OpenTelemetry_exports_the_meter_by_its_name()
    {
        var exported = new List<Metric>();
        using var provider = OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter("VexFs").AddInMemoryExporter(exported).Build();
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(16L << 20));
        fs.CreateVectorSpace("v", 3, VectorMetric.L2);
        using (fs.OpenFile("/a", FileMode.CreateNew))
        {
        }

        fs.SetVector("/a", "v", [1, 2, 3]);
        fs.Search("/", "v", [1, 2, 3], 1);
        fs.Flush();
        Assert.True(provider.ForceFlush());

        // Other tests' filesystems export too: this one's are those whose meter carries its UUID.
        var ours = exported.Where(m => m.MeterTags?.Contains(new KeyValuePair<string, object?>("vexfs.filesystem.uuid", fs.Uuid.ToString())) == true).ToList();
        Assert.Contains(ours, m => (m.Name, m.Unit) == ("vexfs.vector.search.duration", "s"));
        Assert.Contains(ours, m => (m.Name, m.Unit) == ("vexfs.device.io", "By"));
        Assert.Contains(ours, m => (m.Name, m.Unit) == ("vexfs.flush.duration", "s"));
        Assert.Contains(ours, m => (m.Name, m.Unit) == ("vexfs.vector.count", "{vector}"));
    }

    /// <summary>A meter factory whose meters carry it as their scope, so that a listener takes only this test's.</summary>
    private sealed class ScopedMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
            }
        }
    }

    /// <summary>Collects the factory's instruments: the last value of each observable one, every recorded measurement of the others.</summary>
    private sealed class Collector : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string Name, string Tag), long> _observed = [];
        private readonly List<(string Name, double Value, string Tag, string Extra)> _recorded = [];
        private readonly List<IEnumerable<KeyValuePair<string, object?>>> _meterTags = [];

        public Collector(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory)
                {
                    lock (_meterTags)
                    {
                        _meterTags.Add(instrument.Meter.Tags ?? []);
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Take(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Take(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Take(i, v, tags));
            _listener.Start();
        }

        public List<IEnumerable<KeyValuePair<string, object?>>> MeterTags
        {
            get
            {
                lock (_meterTags)
                {
                    return [.. _meterTags];
                }
            }
        }

        public Dictionary<(string Name, string Tag), long> Observe()
        {
            lock (_observed)
            {
                _observed.Clear();
            }

            _listener.RecordObservableInstruments();
            lock (_observed)
            {
                return new(_observed);
            }
        }

        public List<(double Value, string Tag, string Extra)> Recorded(string name)
        {
            lock (_recorded)
            {
                return [.. _recorded.Where(m => m.Name == name).Select(m => (m.Value, m.Tag, m.Extra))];
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Take(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string tag = tags.Length > 0 ? tags[0].Value?.ToString() ?? string.Empty : string.Empty;
            string extra = tags.Length > 1 ? tags[1].Value?.ToString() ?? string.Empty : string.Empty;
            if (instrument.IsObservable)
            {
                lock (_observed)
                {
                    _observed[(instrument.Name, tag)] = (long)value;
                }
            }
            else
            {
                lock (_recorded)
                {
                    _recorded.Add((instrument.Name, value, tag, extra));
                }
            }
        }
    }

    /// <summary>Counts what reaches the device underneath: the independent account the meter is held to.</summary>
    private sealed class CountingDevice(BlockDevice inner) : ForwardingDevice(inner, "counting")
    {
        private long _reads;
        private long _writes;
        private long _flushes;
        private long _bytesRead;
        private long _bytesWritten;

        public (long Reads, long Writes, long Flushes, long BytesRead, long BytesWritten) Counts =>
            (Interlocked.Read(ref _reads), Interlocked.Read(ref _writes), Interlocked.Read(ref _flushes), Interlocked.Read(ref _bytesRead), Interlocked.Read(ref _bytesWritten));

        protected override void ReadCore(long offset, Span<byte> buffer)
        {
            base.ReadCore(offset, buffer);
            Interlocked.Increment(ref _reads);
            Interlocked.Add(ref _bytesRead, buffer.Length);
        }

        protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
        {
            base.WriteCore(offset, buffer);
            Interlocked.Increment(ref _writes);
            Interlocked.Add(ref _bytesWritten, buffer.Length);
        }

        protected override void FlushCore()
        {
            base.FlushCore();
            Interlocked.Increment(ref _flushes);
        }
    }
}
