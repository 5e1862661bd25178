using System.Text.RegularExpressions;

namespace VexFs.Tools.Tests;

/// <summary>Each tool's manual page documents every option and command its --help lists.</summary>
public sealed partial class ManPageTests
{
    [Theory]
    [InlineData("mkfs.vexfs", "mkfs.vexfs.8")]
    [InlineData("fsck.vexfs", "fsck.vexfs.8")]
    [InlineData("vexctl", "vexctl.1")]
    public void The_manual_page_names_every_option_and_command_of_the_help(string tool, string page)
    {
        var help = Tool.Run(tool, "--help");
        Assert.True(help.ExitCode == 0, help.Error);
        string manual = File.ReadAllText(Path.Combine(Root(), "docs", "man", page)).Replace("\\-", "-", StringComparison.Ordinal);
        Assert.StartsWith($".TH {tool.ToUpperInvariant()} {page[^1]} ", manual, StringComparison.Ordinal);
        var named = HelpEntry().Matches(help.Output).Select(m => m.Groups[1].Value).Where(n => n is not "-?" and not "--version").ToList();
        Assert.NotEmpty(named);
        Assert.All(named, name => Assert.True(Regex.IsMatch(manual, $@"(^|[\s\\fBRI""]){Regex.Escape(name)}(\\f|[\s,|]|$)", RegexOptions.Multiline), $"{page} does not document {name}"));
    }

    [Fact]
    public void Mount_vexfs_names_every_option_its_usage_lists()
    {
        // The usage line mount.vexfs prints (its tests run it; this project does not build it).
        string usage = Regex.Match(File.ReadAllText(Path.Combine(Root(), "samples", "mount.vexfs", "MountCommand.cs")), "\"usage: mount.vexfs [^\"]+\"").Value;
        string manual = File.ReadAllText(Path.Combine(Root(), "docs", "man", "mount.vexfs.8"));
        string options = Regex.Match(usage, @"-o ([^\]\s]+)").Groups[1].Value;
        Assert.NotEmpty(options);
        Assert.All(options.Split([',', '|']), option => Assert.Contains(option.Split('=')[0], manual, StringComparison.Ordinal));
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

    // An option or a command at the start of a help line: "  -b <b>  Block size", "  info <device>  Describe".
    [GeneratedRegex(@"^  (-{1,2}[\w?-]+|[a-z][\w-]*)(?=[ ,<]|$)", RegexOptions.Multiline)]
    private static partial Regex HelpEntry();
}
