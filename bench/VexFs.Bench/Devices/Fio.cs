using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VexFs.BlockDevices.Nbd;

namespace VexFs.Bench.Devices;

/// <summary>Runs fio and reads the bandwidth it measured from its JSON report.</summary>
internal static class Fio
{
    /// <summary>
    /// The same pattern, block size and queue depth as the devices benchmark, on a file or device (O_DIRECT, psync)
    /// or an NBD export (fio's libnbd engine).
    /// </summary>
    public static double BytesPerSecond(string path, IoPattern pattern, int blockSize, long size, double seconds) => BytesPerSecond(
        [
            "--name=peer", .. NbdEndpoint.IsNbdUri(path) ? (string[])["--ioengine=nbd", $"--uri={path}"] : [$"--filename={path}", "--direct=1", "--ioengine=psync"],
            $"--rw={pattern.FioName()}", $"--bs={blockSize}", "--iodepth=1", "--numjobs=1", $"--size={size}",
            "--time_based", string.Create(CultureInfo.InvariantCulture, $"--runtime={seconds:0.#}"),
            "--randrepeat=1", "--norandommap",
        ],
        pattern.IsWrite());

    /// <summary>Runs one fio job with <paramref name="arguments"/> and returns its read or write bandwidth.</summary>
    public static double BytesPerSecond(IEnumerable<string> arguments, bool write)
    {
        var (bytes, seconds) = Measure(arguments, write);
        return bytes / seconds;
    }

    /// <summary>
    /// Runs one fio job with <paramref name="arguments"/> and returns the bytes it read or wrote and the time it
    /// took, which includes a final fsync when the job asks for one (<c>--end_fsync=1</c>).
    /// </summary>
    public static (long Bytes, double Seconds) Measure(IEnumerable<string> arguments, bool write)
    {
        var start = new ProcessStartInfo("fio") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--output-format=json");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("fio did not start");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"fio failed: {error.Result}");
        }

        // fio may print warnings before the JSON document.
        using var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var job = json.RootElement.GetProperty("jobs")[0];
        var side = job.GetProperty(write ? "write" : "read");
        return (side.GetProperty("io_bytes").GetInt64(), side.GetProperty("runtime").GetInt64() / 1000.0);
    }
}
