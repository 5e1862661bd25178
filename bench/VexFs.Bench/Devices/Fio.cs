using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace VexFs.Bench.Devices;

/// <summary>Runs fio with the same pattern, block size, O_DIRECT and queue depth on the same file or device.</summary>
internal static class Fio
{
    public static double BytesPerSecond(string path, IoPattern pattern, int blockSize, long size, double seconds)
    {
        var start = new ProcessStartInfo("fio") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[]
        {
            "--name=peer", $"--filename={path}", $"--rw={pattern.FioName()}", $"--bs={blockSize}",
            "--direct=1", "--ioengine=psync", "--iodepth=1", "--numjobs=1", $"--size={size}",
            "--time_based", string.Create(CultureInfo.InvariantCulture, $"--runtime={seconds:0.#}"),
            "--randrepeat=1", "--norandommap", "--output-format=json",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("fio did not start");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"fio failed: {error}");
        }

        // fio may print warnings before the JSON document.
        using var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var job = json.RootElement.GetProperty("jobs")[0];
        return job.GetProperty(pattern.IsWrite() ? "write" : "read").GetProperty("bw_bytes").GetDouble();
    }
}
