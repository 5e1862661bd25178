using System.Globalization;
using VexFs.Bench.Devices;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// The streaming workloads by fio on a file in <paramref name="directory"/>: psync at queue depth 1 with
/// O_DIRECT, no preallocation, and an fsync at the end of writing (counted in fio's time).
/// </summary>
internal sealed class FioStreams(string name, string directory, long size, double seconds) : StreamTarget(size, seconds)
{
    private readonly string _file = Path.Join(directory, FileName);

    public override Run Measure(IoPattern pattern)
    {
        if (pattern == IoPattern.Write)
        {
            File.Delete(_file);
        }

        bool random = pattern.IsRandom();
        var arguments = new List<string>
        {
            $"--name={name}", $"--filename={_file}", $"--rw={pattern.FioName()}", $"--bs={(random ? RandomBlock : SequentialBlock)}",
            $"--size={Size}", "--direct=1", "--ioengine=psync", "--iodepth=1", "--numjobs=1", "--fallocate=none",
            "--randrepeat=1", "--norandommap",
        };
        if (pattern.IsWrite())
        {
            arguments.Add("--end_fsync=1");
        }

        if (random)
        {
            arguments.Add("--time_based");
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"--runtime={Seconds:0.#}"));
        }

        var (bytes, elapsed) = Fio.Measure(arguments, pattern.IsWrite());
        long done = random ? bytes / RandomBlock : bytes;
        return new Run(done, done, elapsed);
    }

    public override void Remove() => File.Delete(_file);
}
