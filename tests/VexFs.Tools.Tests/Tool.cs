using System.Diagnostics;

namespace VexFs.Tools.Tests;

/// <summary>Runs one of the command-line tools as a user would, with no terminal attached.</summary>
internal static class Tool
{
    public static (int ExitCode, string Output, string Error) Run(string tool, params string[] arguments) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, tool + ".dll"), .. arguments]);

    /// <summary>Runs one of the repository's scripts with bash, on the tools built beside the tests.</summary>
    public static (int ExitCode, string Output, string Error) RunScript(string script, params string[] arguments)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "VexFs.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the tests do not run inside the repository");
        }

        return Start("bash", [Path.Combine(root, script), .. arguments], ("VEXFS_TOOLS", AppContext.BaseDirectory));
    }

    /// <summary>Runs any program with the given arguments.</summary>
    public static (int ExitCode, string Output, string Error) RunProgram(string program, params string[] arguments) => Start(program, arguments);

    private static (int ExitCode, string Output, string Error) Start(string program, string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }
}
