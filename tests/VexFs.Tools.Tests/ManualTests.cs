using System.Text.RegularExpressions;

namespace VexFs.Tools.Tests;

/// <summary>
/// The documentation runs as written: every <c>sh</c> block of a page under docs/, in order, in an empty
/// directory, with the tools on PATH (<c>console</c> blocks are examples that need root, a device or a mount).
/// </summary>
public sealed partial class ManualTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string> Pages() =>
        [.. Directory.GetFiles(Path.Combine(Root(), "docs"), "*.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(Root(), "docs"), f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_shell_block_of_the_page_runs(string page)
    {
        string text = File.ReadAllText(Path.Combine(Root(), "docs", page));
        var blocks = ShellBlock().Matches(text).Select(m => m.Groups[1].Value).ToList();
        Assert.SkipUnless(OperatingSystem.IsLinux(), "The manual's shell blocks are for Linux.");
        if (blocks.Count == 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        // The tools as commands: small scripts that run the builds beside these tests.
        string bin = Path.Combine(_directory.Path, "bin");
        Directory.CreateDirectory(bin);
        foreach (string tool in new[] { "mkfs.vexfs", "fsck.vexfs", "vexctl" })
        {
            string wrapper = Path.Combine(bin, tool);
            File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, tool + ".dll")}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        string work = Path.Combine(_directory.Path, "work");
        Directory.CreateDirectory(work);
        string script = Path.Combine(_directory.Path, "page.sh");
        File.WriteAllText(script, $"set -euo pipefail\ncd '{work}'\nexport PATH='{bin}':\"$PATH\"\n" + string.Join("\n", blocks));
        var run = Tool.RunProgram("bash", script);
        Assert.True(run.ExitCode == 0, $"{page}: exit {run.ExitCode}\n{run.Output}\n{run.Error}");
        if (page == Path.Combine("manual", "quickstart.md"))
        {
            // What the page says the searches find.
            int apples = run.Output.IndexOf("/notes/fruit/apples.txt", StringComparison.Ordinal);
            int plums = run.Output.IndexOf("/notes/fruit/plums.txt", StringComparison.Ordinal);
            Assert.True(apples >= 0 && plums > apples, run.Output);
            Assert.Contains("/notes/cars/engines.txt", run.Output, StringComparison.Ordinal);
        }
    }

    private static string Root()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "VexFs.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the tests do not run inside the repository");
        }

        return root;
    }

    [GeneratedRegex("```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
