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
