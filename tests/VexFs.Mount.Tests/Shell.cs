using System.Diagnostics;

namespace VexFs.Mount.Tests;

/// <summary>Runs programs as a user would, with a time limit after which the whole process tree is killed.</summary>
internal static class Shell
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromMinutes(2);

    /// <summary>Runs a bash script (with -e and pipefail) in <paramref name="directory"/>.</summary>
    public static Result Bash(string script, string directory, TimeSpan? limit = null) =>
        Run("bash", ["-c", "set -eo pipefail\n" + script], directory, limit);

    /// <summary>Runs a bash script and fails the test unless it exits 0; returns its output.</summary>
    public static string Ok(string script, string directory, TimeSpan? limit = null)
    {
        var result = Bash(script, directory, limit);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n--- script\n{script}\n--- stdout\n{result.Output}\n--- stderr\n{result.Error}");
        return result.Output;
    }

    public static Result Run(string program, IEnumerable<string> arguments, string? directory = null, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit ?? DefaultLimit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Result(-1, output.Result, error.Result + $"\n(killed after {limit ?? DefaultLimit})");
        }

        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs one of the tools built beside the tests (mkfs.vexfs, fsck.vexfs, mount.vexfs).</summary>
    public static Result Tool(string tool, params string[] arguments) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, tool + ".dll"), .. arguments]);

    public readonly record struct Result(int ExitCode, string Output, string Error);
}
