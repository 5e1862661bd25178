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

    [Fact]
    public void Get_r_exports_vectors_as_attributes_that_mkfs_d_imports_again()
    {
        string image = _directory.File("source.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", "-V", "emb:3:l2", "-V", "other:2:l2", image, "64M").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "mkdir", "-p", "/a/b").ExitCode);
        foreach (string file in new[] { "/a/x.txt", "/a/b/y.txt", "/a/b/plain.txt" })
        {
            string local = _directory.File("content");
            File.WriteAllText(local, file);
            Assert.Equal(0, Tool.Run("vexctl", "-d", image, "put", local, file).ExitCode);
        }

        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "vector", "set", "/a/x.txt", "0.5,-1.25,3", "-s", "emb").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "vector", "set", "/a/b/y.txt", "7,8,9", "-s", "emb").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "vector", "set", "/a/b/y.txt", "1,2", "-s", "other").ExitCode);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "setfattr", "/a/b", "-n", "user.note", "-v", "a directory").ExitCode);

        string exported = Path.Combine(_directory.Path, "exported");
        var get = Tool.Run("vexctl", "-d", image, "get", "-r", "/a", exported);
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.SkipWhen(get.Error.Contains("keeps no user extended attributes", StringComparison.Ordinal), "the host filesystem takes no user xattrs");

        // On the host: each vector is its attribute, little-endian float32, as the image holds it.
        Assert.Equal(Floats(0.5f, -1.25f, 3), HostFiles.TryGetXattr(Path.Combine(exported, "x.txt"), "user.vexfs.emb"));
        Assert.Equal(Floats(7, 8, 9), HostFiles.TryGetXattr(Path.Combine(exported, "b", "y.txt"), "user.vexfs.emb"));
        Assert.Equal(Floats(1, 2), HostFiles.TryGetXattr(Path.Combine(exported, "b", "y.txt"), "user.vexfs.other"));
        Assert.Null(HostFiles.TryGetXattr(Path.Combine(exported, "b", "plain.txt"), "user.vexfs.emb"));
        Assert.Equal("a directory"u8.ToArray(), HostFiles.TryGetXattr(Path.Combine(exported, "b"), "user.note"));

        // And back: a new filesystem made from the exported tree has the same vectors on the same files.
        string copy = _directory.File("copy.img");
        var mkfs = Tool.Run("mkfs.vexfs", "-q", "-V", "emb:3:l2", "-V", "other:2:l2", "-d", exported, copy, "64M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        Assert.Equal("emb\t3\tl2\t2\nother\t2\tl2\t1", Tool.Run("vexctl", "-d", copy, "spaces").Output.Trim());
        Assert.Equal("0.5,-1.25,3", Tool.Run("vexctl", "-d", copy, "vector", "get", "/x.txt", "-s", "emb").Output.Trim());
        Assert.Equal("7,8,9", Tool.Run("vexctl", "-d", copy, "vector", "get", "/b/y.txt", "-s", "emb").Output.Trim());
        Assert.Equal("1,2", Tool.Run("vexctl", "-d", copy, "vector", "get", "/b/y.txt", "-s", "other").Output.Trim());
        Assert.Equal(["/b/y.txt", "/x.txt"], Hits(Tool.Run("vexctl", "-d", copy, "search", "/", "-s", "emb", "--vector", "7,8,9", "--json").Output).Select(h => h.Path));
    }

    private static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    private static List<(string Path, float Distance)> Hits(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(h => (h.GetProperty("path").GetString()!, h.GetProperty("distance").GetSingle()))];
}
