namespace VexFs.Mount.Tests;

/// <summary>File data through the mount, checked against checksums taken off the mount.</summary>
[Collection(Mounts.Name)]
public sealed class DataTests
{
    [Fact]
    public void A_1000_MB_file_written_with_dd_reads_back_with_its_checksum_after_a_remount()
    {
        using var mounted = MountedFileSystem.Create("2G");
        string source = Path.Combine(mounted.Root, "source");
        string expected = Shell.Ok($"head -c 1000M /dev/urandom > {source} && sha256sum < {source}", mounted.Root);
        Shell.Ok($"dd if={source} of=big bs=1M conv=fsync status=none", mounted.MountPoint, TimeSpan.FromMinutes(3));
        Assert.Equal(expected, Shell.Ok("sha256sum < big", mounted.MountPoint));
        File.Delete(source);

        Assert.Equal(0, mounted.Unmount().ExitCode);
        mounted.Mount();
        Assert.Equal(expected, Shell.Ok("sha256sum < big", mounted.MountPoint));
        Assert.Equal("1048576000\n", Shell.Ok("stat -c %s big", mounted.MountPoint));
        mounted.UnmountClean();
    }

    [Fact]
    public void Concurrent_writers_in_several_processes_each_keep_their_own_data()
    {
        using var mounted = MountedFileSystem.Create("512M");
        const int Writers = 6;
        string script = $$"""
            for w in $(seq 1 {{Writers}}); do
              ( for i in $(seq 1 200); do printf 'writer %d line %d\n' $w $i; done > own.$w
                head -c 8M /dev/urandom | tee big.$w | sha256sum > ../sum.$w
                for i in $(seq 1 100); do echo "$w $i" >> shared.log; done ) &
            done
            wait
            """;
        Shell.Ok(script, mounted.MountPoint);
        for (int w = 1; w <= Writers; w++)
        {
            string own = File.ReadAllText(Path.Combine(mounted.MountPoint, $"own.{w}"));
            Assert.Equal(string.Concat(Enumerable.Range(1, 200).Select(i => $"writer {w} line {i}\n")), own);
            Assert.Equal(File.ReadAllText(Path.Combine(mounted.Root, $"sum.{w}")), Shell.Ok($"sha256sum < big.{w}", mounted.MountPoint));
        }

        // Appends from several processes interleave, but each line arrives whole, and every one arrives.
        var lines = File.ReadAllLines(Path.Combine(mounted.MountPoint, "shared.log"));
        Assert.Equal(Writers * 100, lines.Length);
        Assert.Equal(Writers * 100, lines.Distinct().Count());
        mounted.UnmountClean();
    }

    [Fact]
    public void Copy_tools_move_data_sparse_files_and_links_as_on_any_filesystem()
    {
        using var mounted = MountedFileSystem.Create("256M");
        string outside = Path.Combine(mounted.Root, "outside");
        string output = Shell.Ok($"""
            mkdir -p {outside} && cd {outside}
            head -c 3M /dev/urandom > data && truncate -s 64M sparse && printf 'tail' >> sparse
            ln -s data link && ln data hard
            cd {mounted.MountPoint}
            cp -a {outside} copy
            cp --reflink=never copy/data viacfr
            cmp {outside}/data copy/data && cmp {outside}/sparse copy/sparse && cmp copy/data viacfr
            stat -c '%h %F' copy/data copy/link
            readlink copy/link
            """, mounted.Root);
        Assert.Equal("2 regular file\n1 symbolic link\ndata\n", output);
        mounted.UnmountClean();
    }
}
