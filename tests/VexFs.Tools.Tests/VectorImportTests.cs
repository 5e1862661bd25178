using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VexFs.Tools.Tests;

/// <summary>
/// vexctl import: the vectors read back from the image are the ones in the source file (written here byte by
/// byte from the formats' specifications), and bad input is refused whole.
/// </summary>
public sealed class VectorImportTests : IDisposable
{
    private const int Dimension = 8;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Fvecs_import_sets_each_row_on_the_file_of_its_line()
    {
        var rows = Rows(12, seed: 1);
        string tree = Path.Combine(_directory.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "docs"));
        string[] paths = [.. Enumerable.Range(0, rows.Length).Select(i => $"docs/{i}.txt")];
        foreach (string path in paths)
        {
            File.WriteAllText(Path.Combine(tree, path), path);
        }

        string image = Format("fvecs.img", tree);
        File.WriteAllBytes(_directory.File("rows.fvecs"), Fvecs(rows));
        File.WriteAllLines(_directory.File("paths.txt"), paths);

        var import = Tool.Run("vexctl", "-d", image, "import", "-s", "emb", _directory.File("rows.fvecs"), _directory.File("paths.txt"));
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.StartsWith("12 vectors in emb in ", import.Output, StringComparison.Ordinal);
        AssertStored(image, paths, rows);
    }

    [Fact]
    public void Npy_import_with_create_makes_the_missing_files_and_their_directories()
    {
        var rows = Rows(10, seed: 2);
        string image = Format("npy.img", tree: null);
        string[] paths = [.. Enumerable.Range(0, rows.Length).Select(i => $"/new/{i % 3}/f{i}")];
        File.WriteAllBytes(_directory.File("rows.npy"), Npy(rows, "<f4"));
        File.WriteAllLines(_directory.File("paths.txt"), paths);

        var refused = Tool.Run("vexctl", "-d", image, "import", "-s", "emb", _directory.File("rows.npy"), _directory.File("paths.txt"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--create", refused.Error, StringComparison.Ordinal);
        Assert.False(Tool.Run("vexctl", "-d", image, "ls", "/").Output.Contains("new", StringComparison.Ordinal));

        var import = Tool.Run("vexctl", "-d", image, "import", "-s", "emb", "--create", _directory.File("rows.npy"), _directory.File("paths.txt"));
        Assert.True(import.ExitCode == 0, import.Error);
        AssertStored(image, paths, rows);
        Assert.Equal(0, Tool.Run("fsck.vexfs", "-f", "-n", image).ExitCode);
    }

    [Fact]
    public void Bad_input_is_one_line_exit_1_and_changes_nothing()
    {
        var rows = Rows(6, seed: 3);
        string image = Format("bad.img", tree: null);
        string[] paths = [.. Enumerable.Range(0, rows.Length).Select(i => $"/f{i}")];
        File.WriteAllLines(_directory.File("paths.txt"), paths);
        File.WriteAllLines(_directory.File("short.txt"), paths[..5]);
        File.WriteAllBytes(_directory.File("rows.npy"), Npy(rows, "<f4"));
        File.WriteAllBytes(_directory.File("narrow.fvecs"), Fvecs([.. rows.Select(r => r[..4])]));
        File.WriteAllBytes(_directory.File("double.npy"), Npy(rows, "<f8"));
        var withNan = rows.Select(r => (float[])r.Clone()).ToArray();
        withNan[4][2] = float.NaN;
        File.WriteAllBytes(_directory.File("nan.fvecs"), Fvecs(withNan));

        (string Vectors, string Paths, string Expected)[] cases =
        [
            ("rows.npy", "short.txt", "holds 6 vectors but"),
            ("narrow.fvecs", "paths.txt", "holds 4-component vectors; space 'emb' takes 8"),
            ("double.npy", "paths.txt", "'<f8'"),
            ("nan.fvecs", "paths.txt", "row 4 (for /f4)"),
        ];
        foreach (var (vectors, listing, expected) in cases)
        {
            var run = Tool.Run("vexctl", "-d", image, "import", "-s", "emb", "--create", _directory.File(vectors), _directory.File(listing));
            Assert.Equal(1, run.ExitCode);
            Assert.Contains(expected, run.Error, StringComparison.Ordinal);
            Assert.Single(run.Error.Trim().Split('\n'));
        }

        // Nothing was created and no vector set: the space is empty and the root holds only lost+found.
        Assert.Equal("emb\t8\tl2\t0", Tool.Run("vexctl", "-d", image, "spaces").Output.Trim());
        Assert.Equal("lost+found", Tool.Run("vexctl", "-d", image, "ls", "/").Output.Trim());
    }

    private string Format(string name, string? tree)
    {
        string image = _directory.File(name);
        string[] arguments = tree is null ? ["-q", "-V", $"emb:{Dimension}:l2", image, "64M"] : ["-q", "-V", $"emb:{Dimension}:l2", "-d", tree, image, "64M"];
        var mkfs = Tool.Run("mkfs.vexfs", arguments);
        Assert.True(mkfs.ExitCode == 0, mkfs.Error);
        return image;
    }

    /// <summary>Every file's vector, as vexctl prints it, is its row of the source, bit for bit (L2 keeps vectors as given).</summary>
    private static void AssertStored(string image, string[] paths, float[][] rows)
    {
        Assert.Equal($"emb\t{Dimension}\tl2\t{rows.Length}", Tool.Run("vexctl", "-d", image, "spaces").Output.Trim());
        for (int i = 0; i < rows.Length; i++)
        {
            var get = Tool.Run("vexctl", "-d", image, "vector", "get", paths[i].StartsWith('/') ? paths[i] : "/" + paths[i], "-s", "emb", "--json");
            Assert.True(get.ExitCode == 0, get.Error);
            Assert.Equal(rows[i], JsonSerializer.Deserialize<float[]>(get.Output));
        }
    }

    private static float[][] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() * 2) - 1).ToArray())];
    }

    private static byte[] Fvecs(float[][] rows)
    {
        var bytes = new List<byte>();
        foreach (var row in rows)
        {
            bytes.AddRange(BitConverter.GetBytes(row.Length));
            bytes.AddRange(row.SelectMany(BitConverter.GetBytes));
        }

        return [.. bytes];
    }

    /// <summary>NumPy's format 1.0: magic, version, a u16 header length, a dict literal padded to 64 bytes with spaces and a newline, the data.</summary>
    private static byte[] Npy(float[][] rows, string descr)
    {
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows.Length}, {rows[0].Length}), }}");
        int padded = (10 + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(padded - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0]);
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        bytes.AddRange(length);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        foreach (float value in rows.SelectMany(r => r))
        {
            bytes.AddRange(descr == "<f8" ? BitConverter.GetBytes((double)value) : BitConverter.GetBytes(value));
        }

        return [.. bytes];
    }
}
