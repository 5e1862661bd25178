using System.Diagnostics.Metrics;

namespace VexFs.Core.Diagnostics;

/// <summary>
/// One filesystem's instruments in the <c>VexFs</c> meter (<see cref="MeterName"/>), named and measured after
/// OpenTelemetry's semantic conventions (durations in seconds, sizes in bytes, counts in their own unit); the
/// meter carries the filesystem's UUID and label as tags. Counts kept anyway (device operations, cache lookups,
/// journal commits) are read when a listener collects; durations are measured only while one listens.
/// </summary>
internal sealed class FileSystemMetrics : IDisposable
{
    /// <summary>The meter's name, as <c>dotnet-counters monitor --counters VexFs</c> and OpenTelemetry's <c>AddMeter</c> take it.</summary>
    public const string MeterName = "VexFs";

    public const string OperationTag = "vexfs.device.operation";
    public const string SpaceTag = "vexfs.vector.space";
    public const string SearchModeTag = "vexfs.vector.search.mode";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private VexFileSystem? _source;

    public FileSystemMetrics(IMeterFactory? factory, Guid uuid, string label)
    {
        var options = new MeterOptions(MeterName)
        {
            Version = typeof(FileSystemMetrics).Assembly.GetName().Version?.ToString(3),
            Tags = [new("vexfs.filesystem.uuid", uuid.ToString()), new("vexfs.filesystem.label", label)],
        };
        _ownsMeter = factory is null;
        _meter = factory?.Create(options) ?? new Meter(options);
        DeviceDuration = _meter.CreateHistogram<double>("vexfs.device.operation.duration", "s", "Time a device read, write, flush or discard took.");
        FlushDuration = _meter.CreateHistogram<double>("vexfs.flush.duration", "s", "Time Flush (and fsync) took to make the completed operations durable.");
        CommitSize = _meter.CreateHistogram<long>("vexfs.journal.commit.size", "By", "Bytes a journal commit wrote: records, block copies, commit records.");
        SearchDuration = _meter.CreateHistogram<double>("vexfs.vector.search.duration", "s", "Time a vector search took, names of the results included.");
        SearchEffort = _meter.CreateHistogram<int>("vexfs.vector.search.effort", "{candidate}", "Candidates an approximate search kept (ef); k for an exact one.");
    }

    public Histogram<double> DeviceDuration { get; }

    public Histogram<double> FlushDuration { get; }

    public Histogram<long> CommitSize { get; }

    public Histogram<double> SearchDuration { get; }

    public Histogram<int> SearchEffort { get; }

    /// <summary>
    /// Adds the instruments read from <paramref name="source"/> when a listener collects. They read nothing once
    /// the filesystem has closed, and hold it no longer: a meter from a host's factory outlives the filesystem
    /// (and one reopened under the same UUID and label is given the same meter).
    /// </summary>
    public void Observe(VexFileSystem source)
    {
        _source = source;
        _meter.CreateObservableCounter("vexfs.device.operations", () => Read(s => s.DeviceOperations()), "{operation}", "Device reads, writes, flushes and discards.");
        _meter.CreateObservableCounter("vexfs.device.io", () => Read(s => s.DeviceBytes()), "By", "Bytes read from and written to the device.");
        _meter.CreateObservableCounter("vexfs.journal.commits", () => Read(s => [new(s.Commits())]), "{commit}", "Journal commits (each a run of transactions behind two barriers).");
        _meter.CreateObservableCounter("vexfs.journal.transactions", () => Read(s => [new(s.Transactions())]), "{transaction}", "Transactions committed to the journal.");
        _meter.CreateObservableCounter("vexfs.journal.checkpoints", () => Read(s => [new(s.Checkpoints())]), "{checkpoint}", "Checkpoints that wrote journaled blocks home.");
        _meter.CreateObservableCounter("vexfs.cache.lookups", () => Read(s => s.CacheLookups()), "{lookup}", "Metadata block cache lookups, by result (hit or miss).");
        _meter.CreateObservableUpDownCounter("vexfs.filesystem.usage", () => Read(s => s.Usage()), "By", "Bytes of the filesystem used and free.");
        _meter.CreateObservableUpDownCounter("vexfs.filesystem.limit", () => Read(s => [new(s.Limit())]), "By", "The filesystem's size.");
        _meter.CreateObservableUpDownCounter("vexfs.filesystem.inodes.usage", () => Read(s => s.InodeUsage()), "{inode}", "Inodes used and free.");
        _meter.CreateObservableUpDownCounter("vexfs.file.open", () => Read(s => [new(s.OpenHandles())]), "{handle}", "Open files: streams and kernel file handles not yet closed.");
        _meter.CreateObservableUpDownCounter("vexfs.vector.count", () => Read(s => s.Vectors()), "{vector}", "Vectors in each space.");
        _meter.CreateObservableUpDownCounter("vexfs.vector.index.memory", () => Read(s => s.IndexMemory()), "By", "Memory each space's search index holds.");
    }

    public void Dispose()
    {
        Volatile.Write(ref _source, null);
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private IEnumerable<Measurement<long>> Read(Func<VexFileSystem, IEnumerable<Measurement<long>>> read) =>
        Volatile.Read(ref _source) is { } source ? read(source) : [];
}
