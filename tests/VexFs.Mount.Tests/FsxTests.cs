using System.Globalization;

namespace VexFs.Mount.Tests;

/// <summary>
/// Random operations on one file through the mount (writes, reads, truncates, preallocation,
/// copy_file_range, mmap reads and writes), every read checked against a model of what the file must hold.
/// </summary>
[Collection(Mounts.Name)]
public sealed class FsxTests
{
    [Theory]
    [InlineData(1, "allow_other")]
    [InlineData(2, "allow_other")]
    [InlineData(3, "allow_other,writeback_cache")]
    public void Random_operations_read_back_what_the_model_says_and_survive_a_remount(int seed, string options)
    {
        string fsx = Path.Combine(AppContext.BaseDirectory, "Fsx.py");
        using var mounted = MountedFileSystem.Create("256M", options);
        string run = Shell.Ok(string.Create(CultureInfo.InvariantCulture, $"python3 {fsx} fsx.data 3000 {seed}"), mounted.MountPoint, TimeSpan.FromMinutes(3));
        Assert.StartsWith("ok 3000 operations", run, StringComparison.Ordinal);
        string sum = Shell.Ok("sha256sum < fsx.data", mounted.MountPoint);

        Assert.Equal(0, mounted.Unmount().ExitCode);
        mounted.Mount(options);
        Assert.Equal(sum, Shell.Ok("sha256sum < fsx.data", mounted.MountPoint));
        mounted.UnmountClean();
    }
}
