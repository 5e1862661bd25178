using BenchmarkDotNet.Attributes;
using VexFs.BlockDevices;
using VexFs.BlockDevices.DirectIO;

namespace VexFs.Bench.Devices;

/// <summary>One synchronous request at a time, as fio's psync engine at queue depth 1 issues them.</summary>
public class DeviceIoBenchmarks
{
    private BlockDevice _device = null!;
    private AlignedBuffer _buffer = null!;
    private Random _random = null!;
    private long _next;
    private long _blocks;

    [ParamsSource(nameof(Targets))]
    public string Target { get; set; } = BenchTargets.ImageDirect;

    [Params(IoPattern.Read, IoPattern.Write, IoPattern.RandRead, IoPattern.RandWrite)]
    public IoPattern Pattern { get; set; }

    [Params(4096, 1 << 20)]
    public int BlockSize { get; set; }

    public static IEnumerable<string> Targets() => BenchTargets.Paths.Keys;

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchTargets.Open(Target);
        _buffer = AlignedBufferPool.Rent();
        new Random(1).NextBytes(_buffer.GetSpan());
        _random = new Random(2);
        _blocks = BenchTargets.Length / BlockSize;
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _device.Flush();
        _device.Dispose();
        AlignedBufferPool.Return(_buffer);
    }

    [Benchmark]
    public void Io()
    {
        long block = Pattern.IsRandom() ? _random.NextInt64(_blocks) : _next++ % _blocks;
        var span = _buffer.GetSpan()[..BlockSize];
        if (Pattern.IsWrite())
        {
            _device.Write(block * BlockSize, span);
        }
        else
        {
            _device.Read(block * BlockSize, span);
        }
    }
}
