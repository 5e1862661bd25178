using System.Diagnostics.Metrics;
using VexFs.Core.Diagnostics;

namespace VexFs.Core;

/// <summary>What the <c>VexFs</c> meter reads from the filesystem when a listener collects (see <see cref="FileSystemMetrics"/>).</summary>
public sealed partial class VexFileSystem
{
    private static readonly KeyValuePair<string, object?> ReadDirection = new("vexfs.io.direction", "read");
    private static readonly KeyValuePair<string, object?> WriteDirection = new("vexfs.io.direction", "write");
    private static readonly KeyValuePair<string, object?> Used = new("vexfs.filesystem.state", "used");
    private static readonly KeyValuePair<string, object?> Free = new("vexfs.filesystem.state", "free");

    internal IEnumerable<Measurement<long>> DeviceOperations() =>
    [
        new(_metered.Reads, new KeyValuePair<string, object?>(FileSystemMetrics.OperationTag, "read")),
        new(_metered.Writes, new KeyValuePair<string, object?>(FileSystemMetrics.OperationTag, "write")),
        new(_metered.Flushes, new KeyValuePair<string, object?>(FileSystemMetrics.OperationTag, "flush")),
        new(_metered.Discards, new KeyValuePair<string, object?>(FileSystemMetrics.OperationTag, "discard")),
    ];

    internal IEnumerable<Measurement<long>> DeviceBytes() => [new(_metered.BytesRead, ReadDirection), new(_metered.BytesWritten, WriteDirection)];

    internal long Commits() => _journal?.Commits ?? 0;

    internal long Transactions() => _journal?.Transactions ?? 0;

    internal long Checkpoints() => _journal?.Checkpoints ?? 0;

    internal IEnumerable<Measurement<long>> CacheLookups() =>
        [new(_cache.Hits, new KeyValuePair<string, object?>("vexfs.cache.result", "hit")), new(_cache.Misses, new KeyValuePair<string, object?>("vexfs.cache.result", "miss"))];

    internal IEnumerable<Measurement<long>> Usage()
    {
        var sb = _editor.Allocator.Superblock;
        return [new((sb.BlockCount - sb.FreeBlocks) * sb.BlockSize, Used), new(sb.FreeBlocks * sb.BlockSize, Free)];
    }

    internal long Limit()
    {
        var sb = _editor.Allocator.Superblock;
        return sb.BlockCount * sb.BlockSize;
    }

    internal IEnumerable<Measurement<long>> InodeUsage()
    {
        var sb = _editor.Allocator.Superblock;
        return [new(sb.InodeCount - sb.FreeInodes, Used), new(sb.FreeInodes, Free)];
    }

    internal long OpenHandles() => _openFiles.Handles;

    internal IEnumerable<Measurement<long>> Vectors() => SpaceMeasures(info => info.Count);

    internal IEnumerable<Measurement<long>> IndexMemory() => SpaceMeasures(info => info.IndexMemoryBytes);

    /// <summary>One measurement per space, tagged with its name; none once the filesystem is closed.</summary>
    private List<Measurement<long>> SpaceMeasures(Func<VectorSpaceInfo, long> measure)
    {
        try
        {
            return [.. GetVectorSpaces().Select(info => new Measurement<long>(measure(info), new KeyValuePair<string, object?>(FileSystemMetrics.SpaceTag, info.Name)))];
        }
        catch (ObjectDisposedException)
        {
            return [];
        }
    }
}
