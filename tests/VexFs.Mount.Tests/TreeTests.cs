namespace VexFs.Mount.Tests;

/// <summary>Many files, real trees and real programs on the mount.</summary>
[Collection(Mounts.Name)]
public sealed class TreeTests
{
    [Fact]
    public void Ten_thousand_files_are_created_listed_verified_and_deleted()
    {
        using var mounted = MountedFileSystem.Create("512M");
        const int Files = 10_000;
        Shell.Ok($"mkdir many && cd many && for i in $(seq 1 {Files}); do echo \"file $i\" > f$i; done", mounted.MountPoint);
        Assert.Equal($"{Files}\n", Shell.Ok("ls many | wc -l", mounted.MountPoint));
        var names = Shell.Ok("ls -f many", mounted.MountPoint).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, Files).Select(i => $"f{i}").Concat([".", ".."]).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Equal("0\n", Shell.Ok("cd many && awk 'FNR == 1 && $0 != \"file \" substr(FILENAME, 2) { bad++ } END { print bad + 0 }' f*", mounted.MountPoint));

        Assert.Equal(0, mounted.Unmount().ExitCode);
        mounted.Mount();
        Assert.Equal($"{Files}\n", Shell.Ok("find many -type f | wc -l", mounted.MountPoint));
        Shell.Ok("find many -type f -delete && rmdir many && test ! -e many", mounted.MountPoint);
        mounted.UnmountClean();
    }

    [Fact]
    public void A_real_tree_goes_in_and_out_with_tar_unchanged()
    {
        string tree = RepositoryRoot();
        using var mounted = MountedFileSystem.Create("512M");
        string back = Path.Combine(mounted.Root, "back");
        Shell.Ok($"""
            tar -C {tree} -cf - --exclude=bin --exclude=obj --exclude=.git --exclude=artifacts VexFs.Core VexFs.Format docs samples | tar -C {mounted.MountPoint} -xpf -
            diff -r --exclude=bin --exclude=obj {tree}/VexFs.Core {mounted.MountPoint}/VexFs.Core
            diff -r --exclude=bin --exclude=obj {tree}/docs {mounted.MountPoint}/docs
            mkdir {back} && tar -C {mounted.MountPoint} -cf - . | tar -C {back} -xpf -
            diff -r --exclude=bin --exclude=obj {tree}/VexFs.Format {back}/VexFs.Format
            diff -r --exclude=bin --exclude=obj {tree}/samples {back}/samples
            """, mounted.Root);
        mounted.UnmountClean();
    }

    [Fact]
    public void A_git_clone_of_a_real_repository_passes_git_fsck()
    {
        string repository = RepositoryRoot();
        using var mounted = MountedFileSystem.Create("512M");
        string head = Shell.Ok("git rev-parse HEAD", repository);
        Shell.Ok($"git clone -q --no-hardlinks {repository} clone", mounted.MountPoint, TimeSpan.FromMinutes(3));
        Assert.Equal(head, Shell.Ok("git rev-parse HEAD", Path.Combine(mounted.MountPoint, "clone")));
        Shell.Ok("git fsck --full --strict --no-progress && test -z \"$(git status --porcelain)\" && git gc -q && git fsck --full --no-progress", Path.Combine(mounted.MountPoint, "clone"), TimeSpan.FromMinutes(3));
        mounted.UnmountClean();
    }

    [Fact]
    public void Rsync_copies_a_tree_with_hard_links_and_extended_attributes_in_and_out()
    {
        using var mounted = MountedFileSystem.Create("256M");
        string source = Path.Combine(mounted.Root, "source");
        string back = Path.Combine(mounted.Root, "back");
        Shell.Ok($"""
            mkdir -p {source}/a/b && cd {source}
            head -c 200K /dev/urandom > a/b/data && ln a/b/data a/hard && ln -s b/data a/soft
            echo text > a/text && chmod 640 a/text && setfattr -n user.tag -v kept a/text
            touch -d '2010-01-01 00:00:00.123456789' a/text
            # rsync leaves a time alone when it already reads as the same second as the source's.
            find . -type d -print0 | xargs -0 touch -d '2009-06-01 12:00:00.987654321' && touch -h -d '2008-01-01 00:00:00.5' a/soft
            rsync -aHX {source}/ {mounted.MountPoint}/copy/
            rsync -aHX {mounted.MountPoint}/copy/ {back}/
            diff -r {source} {back}
            """, mounted.Root);
        // Names, kinds, modes, link counts, file sizes and times to the 100 ns the filesystem keeps, and attributes;
        // a directory's size is its own format's.
        string describe(string root) => Shell.Ok(
            "find . \\( -type d -printf '%p %y %m %n %T@\\n' \\) -o -printf '%p %y %m %n %s %T@\\n' | sed -E 's/\\.([0-9]{7})[0-9]*$/.\\1/' | sort && getfattr -R -d . 2>/dev/null",
            root);
        Assert.Equal(describe(source), describe(Path.Combine(mounted.MountPoint, "copy")));
        Assert.Equal(describe(source), describe(back));
        mounted.UnmountClean();
    }

    [Fact]
    public void A_sqlite_database_passes_its_integrity_check()
    {
        using var mounted = MountedFileSystem.Create("256M");
        string output = Shell.Ok("""
            sqlite3 db.sqlite <<'SQL'
            PRAGMA journal_mode=WAL;
            CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO t SELECT i, hex(randomblob(40)) FROM n;
            CREATE INDEX tv ON t(v);
            DELETE FROM t WHERE id % 3 = 0;
            SQL
            sqlite3 db.sqlite 'PRAGMA integrity_check; SELECT count(*) FROM t; PRAGMA wal_checkpoint(TRUNCATE);' | head -2
            """, mounted.MountPoint);
        Assert.Equal("wal\nok\n13334\n", output);
        Assert.Equal(0, mounted.Unmount().ExitCode);
        mounted.Mount();
        Assert.Equal("ok\n13334\n", Shell.Ok("sqlite3 db.sqlite 'PRAGMA integrity_check; SELECT count(*) FROM t;'", mounted.MountPoint));
        mounted.UnmountClean();
    }

    [Fact]
    public void Extended_attributes_round_trip_and_persist()
    {
        using var mounted = MountedFileSystem.Create("64M");
        Shell.Ok("""
            echo data > f && mkdir d
            setfattr -n user.color -v blue f
            setfattr -n user.bin -v 0x00ff10 f
            setfattr -n user.dir -v yes d
            setfattr -n user.gone -v 1 f && setfattr -x user.gone f
            """, mounted.MountPoint);
        Assert.Equal(0, mounted.Unmount().ExitCode);
        mounted.Mount();
        string dump = Shell.Ok("getfattr -d -e hex f d", mounted.MountPoint);
        Assert.Equal("# file: f\nuser.bin=0x00ff10\nuser.color=0x626c7565\n\n# file: d\nuser.dir=0x796573\n\n", dump);
        var missing = Shell.Bash("getfattr -n user.gone f", mounted.MountPoint);
        Assert.Contains("No such attribute", missing.Error, StringComparison.Ordinal);
        mounted.UnmountClean();
    }

    private static string RepositoryRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "VexFs.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the tests do not run inside the repository");
        }

        return root;
    }
}
