using System.Text.Json;

namespace VexFs.Tools.Tests;

/// <summary>
/// vexctl index and search --text with the real sentence model: on three documents about unrelated subjects, a
/// query in other words than the documents' must find the one it is about.
/// </summary>
public sealed class TextIndexTests : IDisposable
{
    private const string Astronomy =
        "The telescope collects light from distant nebulae and clusters. Astronomers measure the redshift of "
        + "far-away galaxies to learn how fast the universe expands, and they chart the orbits of planets around "
        + "their host stars. A supernova can outshine its whole galaxy for weeks. ";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_semantically_nearest_document_is_the_top_hit()
    {
        string tree = Path.Combine(_directory.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "notes", "science"));
        File.WriteAllText(
            Path.Combine(tree, "notes", "cooking.txt"),
            "Knead the dough for ten minutes, let it rise, then bake the bread in a hot oven.\nSeason the soup with "
            + "salt, pepper and fresh herbs, and simmer the vegetables until tender.");

        // Longer than the model's window of 256 word pieces, with newlines and tabs: embedded in chunks.
        File.WriteAllText(Path.Combine(tree, "notes", "science", "astronomy.md"), string.Concat(Enumerable.Repeat(Astronomy + "\n\t", 12)));
        File.WriteAllText(
            Path.Combine(tree, "networking.txt"),
            "Routers forward packets between subnets. TCP retransmits lost segments, and the firewall filters "
            + "traffic by port and IP address; DNS resolves host names to addresses.");
        File.WriteAllBytes(Path.Combine(tree, "photo.bin"), [0x89, 0x50, 0x4E, 0x47, 0, 0, 1, 2]);
        File.WriteAllText(Path.Combine(tree, "blank.txt"), " \n\t\n");

        string image = _directory.File("text.img");
        Assert.Equal(0, Tool.Run("mkfs.vexfs", "-q", "-d", tree, image, "64M").ExitCode);
        var index = Tool.Run("vexctl", "-d", image, "index", "/", "--space", "text", "--create-space");
        Assert.True(index.ExitCode == 0, index.Error);
        Assert.Contains("indexed 3 files in text under /", index.Output, StringComparison.Ordinal);
        Assert.Contains("skipped 1 binary and 1 without words", index.Output, StringComparison.Ordinal);
        Assert.Equal("text\t384\tcosine\t3", Tool.Run("vexctl", "-d", image, "spaces").Output.Trim());

        Assert.Equal("/notes/science/astronomy.md", Top(image, "stars and galaxies"));
        Assert.Equal("/notes/cooking.txt", Top(image, "a recipe for dinner"));
        Assert.Equal("/networking.txt", Top(image, "computer network protocols"));

        // The human-readable form names the file too; a space of another dimension is refused clearly.
        var text = Tool.Run("vexctl", "-d", image, "search", "/notes", "--space", "text", "--text", "stars and galaxies", "-k", "1");
        Assert.EndsWith("/notes/science/astronomy.md", text.Output.Trim(), StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("vexctl", "-d", image, "space", "create", "small", "3", "cosine").ExitCode);
        var wrong = Tool.Run("vexctl", "-d", image, "search", "/", "--space", "small", "--text", "stars");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("the text model gives 384", wrong.Error, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
    }

    private static string Top(string image, string query)
    {
        var search = Tool.Run("vexctl", "-d", image, "search", "/", "--space", "text", "--text", query, "--json");
        Assert.True(search.ExitCode == 0, search.Error);
        var hits = JsonDocument.Parse(search.Output).RootElement;
        Assert.Equal(3, hits.GetArrayLength());
        return hits[0].GetProperty("path").GetString()!;
    }
}
