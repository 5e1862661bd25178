using System.Diagnostics;
using VexFs.Bench.Devices;
using VexFs.BlockDevices.DirectIO;
using VexFs.Core;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// The streaming workloads through <see cref="VexFileStream"/>, with fio's request sizes, from 4 KiB-aligned
/// memory as fio's (direct=1) are: requests go from the caller's memory straight to the O_DIRECT image,
/// without the bounce buffer an unaligned array needs.
/// </summary>
internal sealed class VexStreams : StreamTarget
{
    private const string Path = "/" + FileName;
    private readonly VexTarget _target;
    private readonly TimeSpan _cap;
    private readonly Memory<byte> _buffer;

    public VexStreams(VexTarget target, long size, double seconds, TimeSpan cap)
        : base(size, seconds)
    {
        _target = target;
        _cap = cap;
        // Held for the life of the benchmark process.
        _buffer = AlignedBufferPool.Rent().Memory[..SequentialBlock];
        Filled(SequentialBlock).CopyTo(_buffer);
    }

    private VexFileSystem FileSystem => _target.FileSystem;

    public override Run Measure(IoPattern pattern) => pattern switch
    {
        IoPattern.Write => Write(),
        IoPattern.Read => Read(),
        _ => Random(pattern.IsWrite()),
    };

    public override void Remove()
    {
        if (FileSystem.Exists(Path))
        {
            FileSystem.Delete(Path);
            FileSystem.Flush();
        }
    }

    private Run Write()
    {
        Remove();
        long start = Stopwatch.GetTimestamp();
        long done = 0;
        using (var stream = FileSystem.OpenFile(Path, FileMode.CreateNew, FileAccess.Write))
        {
            for (; done < Size && Stopwatch.GetElapsedTime(start) < _cap; done += SequentialBlock)
            {
                stream.Write(_buffer.Span);
            }

            stream.Flush(flushToDisk: true);
        }

        return new Run(done, Size, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private Run Read()
    {
        long start = Stopwatch.GetTimestamp();
        long done = 0;
        using (var stream = FileSystem.OpenFile(Path, FileMode.Open, FileAccess.Read))
        {
            for (; done < Size && Stopwatch.GetElapsedTime(start) < _cap; done += SequentialBlock)
            {
                stream.ReadExactly(_buffer.Span);
            }
        }

        var run = new Run(done, Size, Stopwatch.GetElapsedTime(start).TotalSeconds);
        Verify();
        return run;
    }

    /// <summary>Untimed: a few requests read back what was written, so a fast read cannot be a wrong one.</summary>
    private void Verify()
    {
        var expected = Filled(SequentialBlock);
        var actual = new byte[SequentialBlock];
        var random = new Random(3);
        using var stream = FileSystem.OpenFile(Path, FileMode.Open, FileAccess.Read);
        for (int i = 0; i < 16; i++)
        {
            long request = i == 0 ? 0 : random.NextInt64(Size / SequentialBlock);
            stream.Position = request * SequentialBlock;
            stream.ReadExactly(actual);
            if (!actual.AsSpan().SequenceEqual(expected))
            {
                throw new InvalidDataException($"{Path} at {request * SequentialBlock} does not hold what was written there");
            }
        }
    }

    private Run Random(bool write)
    {
        var random = new Random(2);
        var block = _buffer.Span[..RandomBlock];
        long blocks = Size / RandomBlock;
        var duration = TimeSpan.FromSeconds(Seconds);
        long start = Stopwatch.GetTimestamp();
        long done = 0;
        using (var stream = FileSystem.OpenFile(Path, FileMode.Open, write ? FileAccess.ReadWrite : FileAccess.Read))
        {
            for (; Stopwatch.GetElapsedTime(start) < duration; done++)
            {
                stream.Position = random.NextInt64(blocks) * RandomBlock;
                if (write)
                {
                    stream.Write(block);
                }
                else
                {
                    stream.ReadExactly(block);
                }
            }

            if (write)
            {
                stream.Flush(flushToDisk: true);
            }
        }

        return new Run(done, done, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private static byte[] Filled(int length)
    {
        var bytes = new byte[length];
        new Random(1).NextBytes(bytes);
        return bytes;
    }
}
