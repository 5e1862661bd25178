namespace VexFs.Tools.Tests;

/// <summary>The README's main job, scripts/demo.sh, on a tree of real files.</summary>
public sealed class DemoTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_main_job_formats_an_image_from_a_tree_and_reads_it_back_identical()
    {
        string tree = Path.Combine(_directory.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "photos", "2026"));
        File.WriteAllBytes(Path.Combine(tree, "photos", "2026", "big.bin"), Patterns.Random(6_000_000, seed: 2));
        File.WriteAllText(Path.Combine(tree, "notes.txt"), "a line\n");
        File.WriteAllBytes(Path.Combine(tree, "empty"), []);
        File.CreateSymbolicLink(Path.Combine(tree, "latest"), "photos/2026/big.bin");
        HostFiles.Link(Path.Combine(tree, "notes.txt"), Path.Combine(tree, "photos", "notes.txt"));

        var demo = Tool.RunScript("scripts/demo.sh", _directory.File("demo.img"), tree);
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        Assert.Contains("both copies are identical", demo.Output, StringComparison.Ordinal);
        Assert.Contains("big.bin", Tool.Run("vexctl", "-d", _directory.File("demo.img"), "ls", "/copy/photos/2026").Output, StringComparison.Ordinal);
        Assert.Contains("skipped 1 binary and 1 without words", demo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void On_the_docs_each_search_finds_the_document_it_is_about()
    {
        var demo = Tool.RunScript("scripts/demo.sh", _directory.File("docs.img"));
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        Assert.Contains(" files in text under / in ", demo.Output, StringComparison.Ordinal);
        foreach (string document in new[] { "/vectors.md", "/format.md", "/filesystem.md" })
        {
            Assert.Contains($"top hit {document}, as expected", demo.Output, StringComparison.Ordinal);
        }

        Assert.Contains("both copies are identical", demo.Output, StringComparison.Ordinal);
    }
}
