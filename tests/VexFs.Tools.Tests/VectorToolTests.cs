using System.Text.Json;

namespace VexFs.Tools.Tests;

/// <summary>Vectors from the shell: mkfs.vexfs -d imports user.vexfs.SPACE attributes; vexctl sets, gets and searches.</summary>
public sealed class VectorToolTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Mkfs_imports_vectors_from_attributes_and_vexctl_searches_them()
    {
        string tree = Path.Combine(_directory.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        var vectors = new Dictionary<string, float[]>
        {
            ["a.txt"] = [1, 0, 0],
            ["sub/b.txt"] = [0, 1, 0],
            ["sub/c.txt"] = [0, 0.9f, 0.1f],
        };
        foreach (var (name, vector) in vectors)
        {
            string path = Path.Combine(tree, name);
            File.WriteAllText(path, name);
            Assert.SkipUnless(HostFiles.TrySetXattr(path, "user.vexfs.text", [.. vector.SelectMany(BitConverter.GetBytes)]), "the host filesystem takes no user xattrs");
        }

        string image = _directory.File("vectors.img");
        var mkfs = Tool.Run("mkfs.vexfs", "-q", "-V", "text:3:l2", "-d", tree, image, "64M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
        Assert.Equal("text\t3\tl2\t3", Tool.Run("vexctl", "-d", image, "spaces").Output.Trim());
        Assert.Equal("0,1,0", Tool.Run("vexctl", "-d", image, "vector", "get", "/sub/b.txt", "-s", "text").Output.Trim());

        // The whole tree, then the subdirectory alone: results are nearest first and never outside the scope.
        var all = Hits(Tool.Run("vexctl", "-d", image, "search", "/", "-s", "text", "-k", "2", "--vector", "0,1,0", "--json").Output);
        Assert.Equal(["/sub/b.txt", "/sub/c.txt"], all.Select(h => h.Path));
        var sub = Hits(Tool.Run("vexctl", "-d", image, "search", "/sub", "-s", "text", "-k", "5", "--vector", "1,0,0", "--exact", "--json").Output);
        Assert.Equal(["/sub/c.txt", "/sub/b.txt"], sub.Select(h => h.Path));

        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "vector", "set", "/a.txt", "0,0,1", "-s", "text").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "vector", "rm", "/sub/b.txt", "-s", "text").ExitCode);
        Assert.Equal(["/a.txt", "/sub/c.txt"], Hits(Tool.Run("vexctl", "-d", image, "search", "/", "-s", "text", "--vector", "0,0,1", "--json").Output).Select(h => h.Path));

        // Bad input: one clear line, exit 1, nothing changed.
        var wrong = Tool.Run("vexctl", "-d", image, "vector", "set", "/a.txt", "1,2", "-s", "text");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("3-component", wrong.Error, StringComparison.Ordinal);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "search", "/", "-s", "nope", "--vector", "1,0,0").ExitCode);
        Assert.Equal(1, Tool.Run("vexctl", "-d", image, "vector", "set", "/sub", "1,0,0", "-s", "text").ExitCode);
        Assert.Equal("0,0,1", Tool.Run("vexctl", "-d", image, "vector", "get", "/a.txt", "-s", "text").Output.Trim());
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);

        // A tree that carries vectors for a space the filesystem was not given is refused, and leaves no image.
        string refused = _directory.File("refused.img");
        var undeclared = Tool.Run("mkfs.vexfs", "-q", "-d", tree, refused, "64M");
        Assert.Equal(1, undeclared.ExitCode);
        Assert.Contains("-V text:", undeclared.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(refused));
    }

    private static List<(string Path, float Distance)> Hits(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(h => (h.GetProperty("path").GetString()!, h.GetProperty("distance").GetSingle()))];
}
