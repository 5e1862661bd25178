namespace VexFs.Tools.Tests;

/// <summary>A mkfs that fails leaves no image it created, and never one marked clean that is not.</summary>
public sealed class MkfsFailureTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public MkfsFailureTests()
    {
        // 20 MiB of data (no holes) cannot fit into a 16 MiB filesystem.
        Directory.CreateDirectory(Tree);
        File.WriteAllText(Path.Combine(Tree, "small.txt"), "fits");
        var big = new byte[20 << 20];
        Array.Fill(big, (byte)0x5A);
        File.WriteAllBytes(Path.Combine(Tree, "big.bin"), big);
    }

    private string Tree => _directory.File("tree");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_failed_mkfs_removes_the_image_it_created()
    {
        string image = _directory.File("created.img");
        var mkfs = Tool.Run("mkfs.vexfs", "-q", "-d", Tree, image, "16M");
        Assert.Equal(1, mkfs.ExitCode);
        Assert.StartsWith("mkfs.vexfs: ", mkfs.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(image), "the image mkfs created is left behind");
    }

    [Fact]
    public void A_failed_mkfs_on_an_existing_file_leaves_no_filesystem_marked_clean_that_is_not()
    {
        string image = _directory.File("existing.img");
        File.WriteAllBytes(image, new byte[16 << 20]);
        var mkfs = Tool.Run("mkfs.vexfs", "-q", "-d", Tree, image);
        Assert.Equal(1, mkfs.ExitCode);
        Assert.True(File.Exists(image), "mkfs removed a file it did not create");

        // fsck without -f trusts the clean flag; it must come to what the full check finds.
        var quick = Tool.Run("fsck.vexfs", "-n", image);
        var full = Tool.Run("fsck.vexfs", "-n", "-f", image);
        Assert.True(quick.ExitCode == full.ExitCode, $"fsck -n exits {quick.ExitCode}, fsck -n -f exits {full.ExitCode}:\n{full.Output}");
    }
}
