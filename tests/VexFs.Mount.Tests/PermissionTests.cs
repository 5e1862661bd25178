namespace VexFs.Mount.Tests;

/// <summary>Permissions are enforced for other users: root's private file stays private.</summary>
[Collection(Mounts.Name)]
public sealed class PermissionTests
{
    [Fact]
    public void A_user_is_refused_a_0600_file_of_roots_and_allowed_what_the_mode_allows()
    {
        using var mounted = MountedFileSystem.Create("64M");
        Shell.Ok("""
            echo secret > private && chmod 600 private
            echo open > public && chmod 644 public
            mkdir shared && chmod 1777 shared
            mkdir closed && chmod 700 closed && touch closed/inside
            """, mounted.MountPoint);
        string user(string command) => $"runuser -u nobody -- sh -c '{command}'";

        var refused = Shell.Bash(user("cat private"), mounted.MountPoint);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Permission denied", refused.Error, StringComparison.Ordinal);
        Assert.Equal("open\n", Shell.Ok(user("cat public"), mounted.MountPoint));
        foreach (string change in new[] { "echo x >> public", "touch new", "ls closed", "rm public", "chmod 777 public" })
        {
            var denied = Shell.Bash(user(change), mounted.MountPoint);
            Assert.NotEqual(0, denied.ExitCode);
            Assert.Matches("Permission denied|Operation not permitted", denied.Error);
        }

        // What nobody creates is nobody's; the sticky directory keeps root's file from nobody's rm.
        Shell.Ok(user("echo mine > shared/mine && chmod 600 shared/mine"), mounted.MountPoint);
        Assert.Equal("nobody 600\n", Shell.Ok("stat -c '%U %a' shared/mine", mounted.MountPoint));
        Shell.Ok("touch shared/roots", mounted.MountPoint);
        Assert.NotEqual(0, Shell.Bash(user("rm -f shared/roots"), mounted.MountPoint).ExitCode);
        Assert.True(File.Exists(Path.Combine(mounted.MountPoint, "shared", "roots")));
        mounted.UnmountClean();
    }

    [Fact]
    public void Writes_truncates_and_chown_drop_set_user_id_and_set_group_id_as_on_a_local_filesystem()
    {
        // The host handles killpriv (v2), so the kernel leaves dropping the bits to it; a directory on the
        // machine's own filesystem, where the kernel drops them itself, gives the expected modes.
        const string Script = """
            echo a > w && chmod 6777 w && runuser -u nobody -- sh -c 'echo b >> w'
            echo a > t && chmod 6777 t && runuser -u nobody -- sh -c 'truncate -s 1 t'
            echo a > g && chmod 6767 g && runuser -u nobody -- sh -c 'echo b >> g'
            echo a > c && chmod 6755 c && chown nobody c
            echo a > r && chmod 4755 r && echo b >> r
            stat -c '%n %a' w t g c r
            """;
        using var mounted = MountedFileSystem.Create("64M");
        string local = Path.Combine(mounted.Root, "local");
        Directory.CreateDirectory(local);
        string expected = Shell.Ok(Script, local);
        Assert.Contains("w 777", expected, StringComparison.Ordinal);
        Assert.Equal(expected, Shell.Ok(Script, mounted.MountPoint));
        mounted.UnmountClean();
    }

    [Fact]
    public void Without_allow_other_only_the_user_who_mounted_may_enter()
    {
        using var mounted = MountedFileSystem.Create("64M", options: "rw");
        Shell.Ok("echo open > public && chmod 644 public", mounted.MountPoint);
        // Started inside the mount, so that nothing but the mount itself stands in the way.
        Assert.Equal("open\n", Shell.Ok("cat public", mounted.MountPoint));
        var refused = Shell.Bash("runuser -u nobody -- cat public", mounted.MountPoint);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Permission denied", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, mounted.Unmount().ExitCode);
    }
}
