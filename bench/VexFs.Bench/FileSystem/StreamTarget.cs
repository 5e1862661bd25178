using VexFs.Bench.Devices;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// Streaming I/O on one filesystem, one synchronous request at a time: a new file of <see cref="Size"/> bytes
/// written in 1 MiB requests and made durable, read back in 1 MiB requests, then 4 KiB reads and in-place
/// writes at random 4 KiB-aligned offsets of it for <see cref="Seconds"/>, the writes made durable at the end.
/// </summary>
internal abstract class StreamTarget(long size, double seconds)
{
    public const int SequentialBlock = 1 << 20;
    public const int RandomBlock = 4096;
    public const string FileName = "stream.bin";

    public long Size { get; } = size;

    public double Seconds { get; } = seconds;

    /// <summary>Sequential patterns count bytes; random ones count requests.</summary>
    public abstract Run Measure(IoPattern pattern);

    /// <summary>Removes the file, so that the metadata workloads start on an almost empty filesystem.</summary>
    public abstract void Remove();
}
