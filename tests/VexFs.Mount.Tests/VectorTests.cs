using System.Text.Json;
using VexFs.Core;
using VexFs.Vectors;

namespace VexFs.Mount.Tests;

/// <summary>
/// Vectors through the mount: as extended attributes that ordinary tools copy, and through the vector ioctls,
/// checked against brute force and against the library's own search of the image once unmounted.
/// </summary>
[Collection(Mounts.Name)]
public sealed class VectorTests
{
    // 1, 2, 3, 4 as little-endian float32.
    private const string OneTwoThreeFour = "0x0000803f000000400000404000008040";

    [Fact]
    public void Vectors_travel_as_extended_attributes_through_setfattr_cp_tar_and_rsync()
    {
        using var mounted = MountedFileSystem.Create("64M", prepare: fs => fs.CreateVectorSpace("emb", 4, VectorMetric.L2));
        string outside = Path.Combine(mounted.Root, "outside");
        string refusals = Shell.Ok($"""
            echo one > f && echo plain > plain
            setfattr -n user.vexfs.emb -v {OneTwoThreeFour} f
            getfattr -d -m - -e hex plain f | grep -v '^#'
            setfattr -n user.vexfs.emb -v 0x000000 plain 2>&1 || true
            setfattr -n user.vexfs.emb -v 0x0000803f plain 2>&1 || true
            setfattr -n user.vexfs.other -v {OneTwoThreeFour} plain 2>&1 || true
            getfattr -n user.vexfs.emb plain 2>&1 || true
            mkdir {outside} && cp -a f {outside}/cp && cp -a {outside}/cp cp
            tar --xattrs -cf {outside}/f.tar f && mkdir tarred && tar --xattrs --xattrs-include='user.*' -C tarred -xf {outside}/f.tar
            rsync -X f {outside}/rsync && rsync -X {outside}/rsync rsync
            """, mounted.MountPoint);
        Assert.Equal(
            $"""
            user.vexfs.emb={OneTwoThreeFour}
            setfattr: plain: Invalid argument
            setfattr: plain: Invalid argument
            setfattr: plain: Invalid argument
            plain: user.vexfs.emb: No such attribute

            """,
            string.Join('\n', refusals.Split('\n').Where(l => l.Length > 0)) + "\n");
        string dump = Shell.Ok($"getfattr -e hex -n user.vexfs.emb f cp tarred/f rsync {outside}/cp {outside}/rsync | grep '^user'", mounted.MountPoint);
        Assert.Equal(string.Concat(Enumerable.Repeat($"user.vexfs.emb={OneTwoThreeFour}\n", 6)), dump);
        Assert.Equal(0, mounted.Unmount().ExitCode);

        using (var fs = mounted.Open())
        {
            var copies = new[] { "/f", "/cp", "/tarred/f", "/rsync" }.Select(p => fs.GetInfo(p).Inode).Order();
            var hits = fs.Search("/", "emb", [1, 2, 3, 4], 10, new VexSearchOptions { Exact = true });
            Assert.Equal(copies, hits.Select(h => h.Inode).Order());
            Assert.All(hits, h => Assert.Equal(0f, h.Distance));
        }

        mounted.Mount();
        mounted.UnmountClean();
    }

    [Fact]
    public void The_ioctls_set_get_remove_and_search_as_brute_force_and_the_library_do()
    {
        using var mounted = MountedFileSystem.Create("256M", prepare: fs =>
        {
            fs.CreateVectorSpace("emb", 8, VectorMetric.L2);
            fs.CreateVectorSpace("big", 4096, VectorMetric.L2);
        });
        string work = Path.Combine(mounted.MountPoint, "probe");
        Directory.CreateDirectory(work);
        using var report = JsonDocument.Parse(Shell.Ok($"python3 {Path.Combine(AppContext.BaseDirectory, "VectorProbe.py")}", work));
        Assert.Equal(
            [
                "get-missing-space EINVAL", "get-none ENODATA", "set-wrong-dimension EINVAL", "set-directory EISDIR",
                "set-read-only-descriptor EBADF", "other-version EPROTO", "search-a-file ENOTDIR", "search-unstaged EINVAL",
                "unknown-ioctl ENOTTY", "remove ok", "remove-again ENODATA", "get-removed ENODATA",
            ],
            report.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));

        var searches = report.RootElement.GetProperty("searches").EnumerateArray().ToList();
        foreach (var search in searches)
        {
            var hits = Pairs(search.GetProperty("hits"));
            var brute = Pairs(search.GetProperty("brute"));
            bool exact = (search.GetProperty("flags").GetInt32() & 2) != 0;
            Assert.Equal(brute.Count, hits.Count);
            if (exact)
            {
                // The same files in the same order, but where two distances tie in float32.
                for (int i = 0; i < hits.Count; i++)
                {
                    Assert.True(hits[i].Inode == brute[i].Inode || Math.Abs(hits[i].Distance - brute[i].Distance) < 1e-4, $"rank {i}: {hits[i]} against {brute[i]}");
                    Assert.Equal(brute[i].Distance, hits[i].Distance, 1e-3);
                }
            }
            else
            {
                Assert.True(hits.Select(h => h.Inode).Intersect(brute.Select(b => b.Inode)).Count() >= 0.9 * brute.Count, "recall below 0.9");
            }
        }

        Assert.Equal(0, mounted.Unmount().ExitCode);
        using (var fs = mounted.Open())
        {
            foreach (var search in searches.Where(s => (s.GetProperty("flags").GetInt32() & 2) != 0))
            {
                float[] query = [.. search.GetProperty("query").EnumerateArray().Select(c => c.GetSingle())];
                string directory = "/probe/" + search.GetProperty("directory").GetString();
                var library = fs.Search(directory, search.GetProperty("space").GetString()!, query, search.GetProperty("k").GetInt32(), new VexSearchOptions
                {
                    Subtree = (search.GetProperty("flags").GetInt32() & 1) != 0,
                    Exact = true,
                });
                Assert.Equal(library.Select(h => (h.Inode, h.Distance)), Pairs(search.GetProperty("hits")));
            }
        }

        mounted.Mount();
        mounted.UnmountClean();
    }

    [Fact]
    public void Vexctl_sets_gets_removes_and_searches_vectors_on_a_mounted_path()
    {
        using var mounted = MountedFileSystem.Create("64M", prepare: fs => fs.CreateVectorSpace("emb", 4, VectorMetric.L2));
        string a = Path.Combine(mounted.MountPoint, "a");
        Shell.Ok("mkdir -p a/b && touch a/f a/g a/b/h", mounted.MountPoint);
        string vexctl(string arguments) => Shell.Ok($"dotnet {Path.Combine(AppContext.BaseDirectory, "vexctl.dll")} {arguments}", mounted.Root);
        vexctl($"vector set {a}/f -s emb 1,2,3,4");
        vexctl($"vector set {a}/g -s emb 0,0,0,0");
        vexctl($"vector set {a}/b/h -s emb 1,2,3,5");
        Assert.Equal($"user.vexfs.emb={OneTwoThreeFour}\n", Shell.Ok($"getfattr -e hex -n user.vexfs.emb {a}/f | grep '^user'", mounted.Root));
        Assert.Equal("1,2,3,5\n", vexctl($"vector get {a}/b/h -s emb"));

        Assert.Equal($"           0  {a}/f\n           1  {a}/b/h\n", vexctl($"search {a} -s emb --vector 1,2,3,4 -k 2"));
        Assert.Equal($"           0  {a}/f\n          30  {a}/g\n", vexctl($"search {a} -s emb --vector 1,2,3,4 -k 5 --flat --exact"));
        vexctl($"vector rm {a}/f -s emb");
        var missing = Shell.Bash($"dotnet {Path.Combine(AppContext.BaseDirectory, "vexctl.dll")} vector get {a}/f -s emb", mounted.Root);
        Assert.Equal((1, $"vexctl: '{a}/f' has no vector in 'emb'.\n"), (missing.ExitCode, missing.Error));
        Assert.Equal($"           1  {a}/b/h\n          30  {a}/g\n", vexctl($"search {a} -s emb --vector 1,2,3,4"));
        mounted.UnmountClean();
    }

    [Fact]
    public void Vexctl_lists_creates_and_drops_spaces_on_a_mounted_path()
    {
        using var mounted = MountedFileSystem.Create("64M", prepare: fs => fs.CreateVectorSpace("emb", 4, VectorMetric.L2));
        string mount = mounted.MountPoint;
        string vexctl = $"dotnet {Path.Combine(AppContext.BaseDirectory, "vexctl.dll")}";
        Assert.Equal("emb\t4\tl2\t0\n", Shell.Ok($"{vexctl} spaces {mount}", mounted.Root));
        Shell.Ok($"{vexctl} space create text 384 cosine {mount} && touch {mount}/f && {vexctl} vector set {mount}/f -s emb 1,2,3,4", mounted.Root);
        Assert.Equal("emb\t4\tl2\t1\ntext\t384\tcosine\t0\n", Shell.Ok($"{vexctl} spaces {mount}/f", mounted.Root));

        // Refusals: a name taken, a dimension out of range, a drop of no space, a user who owns neither the
        // filesystem's root nor root's powers (the ioctl straight from Python: 0x7FF8B606 creates a space).
        Assert.Equal((1, $"vexctl: '{mount}' (space 'text'): File exists.\n"), Errors($"{vexctl} space create text 3 l2 {mount}"));
        Assert.Equal((1, $"vexctl: '{mount}' (space 'wide'): Invalid argument.\n"), Errors($"{vexctl} space create wide 4097 l2 {mount}"));
        Assert.Equal((1, $"vexctl: '{mount}' (space 'none'): Invalid argument.\n"), Errors($"{vexctl} space drop none {mount}"));
        var refused = Shell.Bash("""
            runuser -u nobody -- python3 -c "
            import fcntl, os, struct
            message = bytearray(16376)
            struct.pack_into('<I4x64sII', message, 0, 1, b'mine', 4, 1)
            fcntl.ioctl(os.open('.', os.O_RDONLY), 0x7FF8B606, message)"
            """, mount);
        Assert.Equal(1, refused.ExitCode);
        Assert.EndsWith("PermissionError: [Errno 1] Operation not permitted\n", refused.Error, StringComparison.Ordinal);
        Assert.Equal((1, $"vexctl: Give either --device or a path on a mounted VexFS; '{mounted.Root}' is not on one.\n"), Errors($"{vexctl} spaces {mounted.Root}"));

        Shell.Ok($"{vexctl} space drop text {mount}", mounted.Root);
        Assert.Equal("emb\t4\tl2\t1\n", Shell.Ok($"{vexctl} spaces {mount}", mounted.Root));
        Assert.Equal(0, mounted.Unmount().ExitCode);
        using (var fs = mounted.Open())
        {
            Assert.Equal([("emb", 4, VectorMetric.L2, 1L)], fs.GetVectorSpaces().Select(s => (s.Name, s.Dimension, s.Metric, s.Count)));
        }

        mounted.Mount();
        mounted.UnmountClean();

        (int ExitCode, string Error) Errors(string script)
        {
            var result = Shell.Bash(script, mount);
            return (result.ExitCode, result.Error);
        }
    }

    private static List<(long Inode, float Distance)> Pairs(JsonElement list) =>
        [.. list.EnumerateArray().Select(p => (p[0].GetInt64(), p[1].GetSingle()))];
}
