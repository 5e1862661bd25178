using System.Text;
using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>
/// Every public entry point, path and inode-number alike, given the wrong kind of inode, a dead or
/// out-of-range inode number, a name of every bad shape and a huge or negative offset: each gets its
/// documented kind of refusal, the tree and its attributes stay as they were, the instance stays writable,
/// and fsck finds the image clean.
/// </summary>
public sealed class EntryPointTests
{
    private static readonly UnixFileType[] Kinds = [UnixFileType.RegularFile, UnixFileType.Directory, UnixFileType.SymbolicLink, UnixFileType.CharacterDevice, UnixFileType.Fifo];

    /// <summary>Names of every bad shape, with the kind a name argument of that shape gets.</summary>
    private static readonly (string Shape, string Name, VexErrorKind Kind)[] BadNames =
    [
        ("empty", string.Empty, VexErrorKind.InvalidArgument),
        ("dot", ".", VexErrorKind.InvalidArgument),
        ("dot-dot", "..", VexErrorKind.InvalidArgument),
        ("slash", "a/b", VexErrorKind.InvalidArgument),
        ("NUL", "a\0b", VexErrorKind.InvalidArgument),
        ("256 bytes", new string('n', 256), VexErrorKind.NameTooLong),
        ("128 two-byte characters", new string('é', 128), VexErrorKind.NameTooLong),
        ("lone surrogate", "a\uD800b", VexErrorKind.InvalidArgument),
        ("reversed surrogates", "\uDC00\uD800", VexErrorKind.InvalidArgument),
    ];

    [Fact]
    public void Every_entry_point_refuses_bad_input_with_its_kind_and_changes_nothing()
    {
        var device = new MemoryBlockDevice(32L << 20);
        var failures = new List<string>();
        int cases = 0;
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            var inodes = Populate(fs);
            long dead = fs.CreateFile(fs.RootInode, "gone").Inode;
            fs.Unlink(fs.RootInode, "gone");
            long count = fs.GetSpaceInfo().TotalInodes;
            var before = Snapshot(fs);

            void Case(string what, VexErrorKind kind, Action call)
            {
                cases++;
                try
                {
                    call();
                    failures.Add($"{what}: succeeded, expected {kind}");
                }
                catch (Exception e) when (VexErrors.KindOf(e) != kind)
                {
                    failures.Add($"{what}: {e.GetType().Name} ({VexErrors.KindOf(e)?.ToString() ?? "no kind"}): {e.Message}; expected {kind}");
                }
                catch (Exception)
                {
                    // The kind expected.
                }

                if (fs.IsReadOnly)
                {
                    failures.Add($"{what}: latched the instance read-only");
                    return;
                }

                string? changed = Difference(before, Snapshot(fs));
                if (changed is not null)
                {
                    failures.Add($"{what}: changed {changed}");
                    before = Snapshot(fs);
                }
            }

            foreach (var kind in Kinds)
            {
                WrongKind(fs, kind, inodes[kind], inodes, Case);
            }

            foreach (long missing in new[] { dead, 0, -1, count + 1, long.MaxValue })
            {
                NoSuchInode(fs, missing, inodes, Case);
            }

            foreach (var (shape, name, kind) in BadNames)
            {
                BadName(fs, shape, name, kind, inodes, Case);
            }

            BadNumbers(fs, inodes, Case);
            foreach (long cookie in new[] { 1L << 62, long.MaxValue })
            {
                // Past the last cookie a 64-bit hash can give: nothing more, never the listing again from the start.
                if (fs.ReadDirectory(fs.RootInode, cookie, 10).Count != 0)
                {
                    failures.Add($"ReadDirectory at cookie {cookie}: listed entries");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n{string.Join('\n', failures)}");
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        device.Dispose();
    }

    [Fact]
    public void Inode_numbers_never_used_are_not_found_even_where_the_device_holds_old_bytes()
    {
        // mkfs leaves the inode tables past each group's first inodes as the device had them (old data).
        var device = new MemoryBlockDevice(32L << 20);
        var junk = Patterns.Random(1 << 20, seed: 5);
        for (long at = 0; at < device.Length; at += junk.Length)
        {
            device.Write(at, junk);
        }

        using (var fs = VexFileSystem.Format(device, new FormatOptions { Discard = false }, leaveOpen: true))
        {
            long count = fs.GetSpaceInfo().TotalInodes;
            foreach (long inode in new[] { count, count / 2, fs.RootInode + 100 })
            {
                Refusals.AssertKind(VexErrorKind.NotFound, () => fs.GetInfo(inode));
                Refusals.AssertKind(VexErrorKind.NotFound, () => fs.Read(inode, 0, new byte[1]));
                Refusals.AssertKind(VexErrorKind.NotFound, () => fs.SetInfo(inode, new VexInfoChange { Uid = 1 }));
                Refusals.AssertKind(VexErrorKind.NotFound, () => fs.CreateHardLink(fs.RootInode, "n", inode));
                Assert.False(fs.IsReadOnly, $"inode {inode} latched the instance read-only");
            }

            fs.CreateFile(fs.RootInode, "after");
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        device.Dispose();
    }

    [Fact]
    public void Every_change_on_a_read_only_open_is_refused_as_read_only_and_reads_work()
    {
        using var device = new MemoryBlockDevice(32L << 20);
        Dictionary<UnixFileType, long> inodes;
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            inodes = Populate(fs);
        }

        using var image = device.Snapshot();
        using (var fs = VexFileSystem.Open(device, new VexFileSystemOptions { ReadOnly = true }, leaveOpen: true))
        {
            long root = fs.RootInode;
            long file = inodes[UnixFileType.RegularFile];
            var before = Snapshot(fs);
            var changes = new (string What, Action Call)[]
            {
                ("CreateFile", () => fs.CreateFile(root, "new")),
                ("CreateDirectory", () => fs.CreateDirectory(root, "new")),
                ("CreateDirectory by path", () => fs.CreateDirectory("/new/deeper")),
                ("CreateSymbolicLink", () => fs.CreateSymbolicLink(root, "new", "t")),
                ("CreateSymbolicLink by path", () => fs.CreateSymbolicLink("/new", "t")),
                ("CreateSpecialFile", () => fs.CreateSpecialFile(root, "new", UnixFileType.Fifo)),
                ("CreateHardLink", () => fs.CreateHardLink(root, "new", file)),
                ("CreateHardLink by path", () => fs.CreateHardLink("/new", "/RegularFile")),
                ("Unlink", () => fs.Unlink(root, "RegularFile")),
                ("Delete", () => fs.Delete("/RegularFile")),
                ("RemoveDirectory", () => fs.RemoveDirectory(root, "empty")),
                ("DeleteDirectory", () => fs.DeleteDirectory("/Directory", recursive: true)),
                ("Rename", () => fs.Rename(root, "RegularFile", root, "new")),
                ("Move", () => fs.Move("/RegularFile", "/new")),
                ("SetInfo", () => fs.SetInfo(file, new VexInfoChange { Uid = 7 })),
                ("SetInfo by path", () => fs.SetInfo("/RegularFile", new VexInfoChange { Uid = 7 })),
                ("SetXattr", () => fs.SetXattr(file, "user.new", [1])),
                ("RemoveXattr", () => fs.RemoveXattr("/RegularFile", "user.tag")),
                ("Write", () => fs.Write(file, 0, "x"u8)),
                ("SetLength", () => fs.SetLength(file, 0)),
                ("Allocate", () => fs.Allocate(file, 0, 4096)),
                ("OpenFile CreateNew", () => fs.OpenFile("/new", FileMode.CreateNew)),
                ("OpenFile Truncate", () => fs.OpenFile("/RegularFile", FileMode.Truncate)),
            };
            foreach (var (what, call) in changes)
            {
                var e = Assert.ThrowsAny<Exception>(call);
                Assert.True(VexErrors.KindOf(e) == VexErrorKind.ReadOnly, $"{what}: {e.GetType().Name} ({VexErrors.KindOf(e)}): {e.Message}");
            }

            Assert.Null(Difference(before, Snapshot(fs)));
        }

        var mine = new byte[1 << 20];
        var theirs = new byte[1 << 20];
        for (long at = 0; at < device.Length; at += mine.Length)
        {
            device.Read(at, mine);
            image.Read(at, theirs);
            Assert.True(mine.AsSpan().SequenceEqual(theirs), $"a read-only open wrote to the device near byte {at}");
        }
    }

    /// <summary>One inode of every kind under the root, named after its kind, a file in the directory, an attribute on each.</summary>
    private static Dictionary<UnixFileType, long> Populate(VexFileSystem fs)
    {
        var inodes = new Dictionary<UnixFileType, long>
        {
            [UnixFileType.RegularFile] = fs.CreateFile(fs.RootInode, "RegularFile").Inode,
            [UnixFileType.Directory] = fs.CreateDirectory(fs.RootInode, "Directory").Inode,
            [UnixFileType.SymbolicLink] = fs.CreateSymbolicLink(fs.RootInode, "SymbolicLink", "Directory/inner").Inode,
            [UnixFileType.CharacterDevice] = fs.CreateSpecialFile(fs.RootInode, "CharacterDevice", UnixFileType.CharacterDevice, major: 1, minor: 3).Inode,
            [UnixFileType.Fifo] = fs.CreateSpecialFile(fs.RootInode, "Fifo", UnixFileType.Fifo).Inode,
        };
        fs.Write(inodes[UnixFileType.RegularFile], 0, Patterns.Random(10_000, seed: 1));
        fs.CreateFile(inodes[UnixFileType.Directory], "inner");
        fs.CreateDirectory(fs.RootInode, "empty");
        foreach (long inode in inodes.Values)
        {
            fs.SetXattr(inode, "user.tag", [1, 2, 3]);
        }

        return inodes;
    }

    private static void WrongKind(VexFileSystem fs, UnixFileType kind, long inode, Dictionary<UnixFileType, long> inodes, Action<string, VexErrorKind, Action> test)
    {
        string path = "/" + kind;
        bool isDirectory = kind == UnixFileType.Directory;
        void Case(string what, VexErrorKind expected, Action call) => test($"{what} on a {kind}", expected, call);

        if (!isDirectory)
        {
            // Directory calls.
            Case("Lookup", VexErrorKind.NotADirectory, () => fs.Lookup(inode, "inner"));
            Case("ReadDirectory", VexErrorKind.NotADirectory, () => fs.ReadDirectory(inode, 0, 10));
            Case("CreateFile in", VexErrorKind.NotADirectory, () => fs.CreateFile(inode, "new"));
            Case("CreateDirectory in", VexErrorKind.NotADirectory, () => fs.CreateDirectory(inode, "new"));
            Case("CreateSymbolicLink in", VexErrorKind.NotADirectory, () => fs.CreateSymbolicLink(inode, "new", "t"));
            Case("CreateSpecialFile in", VexErrorKind.NotADirectory, () => fs.CreateSpecialFile(inode, "new", UnixFileType.Fifo));
            Case("CreateHardLink in", VexErrorKind.NotADirectory, () => fs.CreateHardLink(inode, "new", inodes[UnixFileType.RegularFile]));
            Case("Unlink in", VexErrorKind.NotADirectory, () => fs.Unlink(inode, "inner"));
            Case("RemoveDirectory in", VexErrorKind.NotADirectory, () => fs.RemoveDirectory(inode, "inner"));
            Case("Rename from", VexErrorKind.NotADirectory, () => fs.Rename(inode, "inner", fs.RootInode, "new"));
            Case("Rename into", VexErrorKind.NotADirectory, () => fs.Rename(fs.RootInode, "RegularFile", inode, "new"));
            Case("EnumerateEntries", VexErrorKind.NotADirectory, () => fs.EnumerateEntries(path));
            Case("GetInfo below", VexErrorKind.NotADirectory, () => fs.GetInfo(path + "/x"));
            Case("GetInfo of '..' below", VexErrorKind.NotADirectory, () => fs.GetInfo(path + "/.."));
            Case("GetInfo of '.' below", VexErrorKind.NotADirectory, () => fs.GetInfo(path + "/."));
            Case("OpenFile CreateNew below", VexErrorKind.NotADirectory, () => fs.OpenFile(path + "/x", FileMode.CreateNew));
            Case("CreateDirectory by path", VexErrorKind.AlreadyExists, () => fs.CreateDirectory(path));
            Case("CreateDirectory below", VexErrorKind.NotADirectory, () => fs.CreateDirectory(path + "/x/y"));
            Case("CreateSymbolicLink below", VexErrorKind.NotADirectory, () => fs.CreateSymbolicLink(path + "/x", "t"));
            Case("Delete below", VexErrorKind.NotADirectory, () => fs.Delete(path + "/x"));
            Case("DeleteDirectory", VexErrorKind.NotADirectory, () => fs.DeleteDirectory(path));
            Case("DeleteDirectory -r", VexErrorKind.NotADirectory, () => fs.DeleteDirectory(path, recursive: true));
            Case("RemoveDirectory", VexErrorKind.NotADirectory, () => fs.RemoveDirectory(fs.RootInode, kind.ToString()));
            Case("Move over a directory", VexErrorKind.IsADirectory, () => fs.Move(path, "/Directory", overwrite: true));
            Case("Move a directory over", VexErrorKind.NotADirectory, () => fs.Move("/Directory", path, overwrite: true));
        }
        else
        {
            Case("Unlink", VexErrorKind.IsADirectory, () => fs.Unlink(fs.RootInode, "Directory"));
            Case("Delete", VexErrorKind.IsADirectory, () => fs.Delete(path));
            Case("CreateHardLink to", VexErrorKind.NotPermitted, () => fs.CreateHardLink(fs.RootInode, "new", inode));
            Case("CreateHardLink to by path", VexErrorKind.NotPermitted, () => fs.CreateHardLink("/new", path));
            Case("Move below itself", VexErrorKind.InvalidArgument, () => fs.Move(path, path + "/new"));
            Case("Move over a non-empty directory", VexErrorKind.NotEmpty, () => fs.Move("/empty", path, overwrite: true));
            Case("DeleteDirectory non-empty", VexErrorKind.NotEmpty, () => fs.DeleteDirectory(path));
            Case("RemoveDirectory non-empty", VexErrorKind.NotEmpty, () => fs.RemoveDirectory(fs.RootInode, "Directory"));
        }

        // Data calls need a regular file.
        if (kind != UnixFileType.RegularFile)
        {
            var dataKind = isDirectory ? VexErrorKind.IsADirectory : VexErrorKind.InvalidKind;
            Case("Read", dataKind, () => fs.Read(inode, 0, new byte[10]));
            Case("Write", dataKind, () => fs.Write(inode, 0, "x"u8));
            Case("Write far", dataKind, () => fs.Write(inode, 8192, "x"u8));
            Case("Write nothing", dataKind, () => fs.Write(inode, 0, []));
            Case("SetLength 0", dataKind, () => fs.SetLength(inode, 0));
            Case("SetLength 100000", dataKind, () => fs.SetLength(inode, 100_000));
            Case("Allocate", dataKind, () => fs.Allocate(inode, 0, 4096));
            Case("OpenFile by inode", dataKind, () => fs.OpenFile(inode, FileAccess.Read));
            foreach (var mode in new[] { FileMode.Open, FileMode.OpenOrCreate, FileMode.Create, FileMode.Truncate, FileMode.Append })
            {
                Case($"OpenFile {mode}", dataKind, () => fs.OpenFile(path, mode, mode is FileMode.Open or FileMode.OpenOrCreate ? FileAccess.Read : FileAccess.Write));
            }

            Case("OpenFile CreateNew", VexErrorKind.AlreadyExists, () => fs.OpenFile(path, FileMode.CreateNew));
        }

        if (kind != UnixFileType.SymbolicLink)
        {
            Case("ReadLink", VexErrorKind.InvalidKind, () => fs.ReadLink(inode));
            Case("ReadLink by path", VexErrorKind.InvalidKind, () => fs.ReadLink(path));
        }

        // Names that exist.
        Case("CreateFile over", VexErrorKind.AlreadyExists, () => fs.CreateFile(fs.RootInode, kind.ToString()));
        Case("CreateDirectory over", VexErrorKind.AlreadyExists, () => fs.CreateDirectory(fs.RootInode, kind.ToString()));
        Case("CreateSymbolicLink over", VexErrorKind.AlreadyExists, () => fs.CreateSymbolicLink(fs.RootInode, kind.ToString(), "t"));
        Case("CreateSpecialFile over", VexErrorKind.AlreadyExists, () => fs.CreateSpecialFile(path, UnixFileType.Socket));
        Case("CreateHardLink over", VexErrorKind.AlreadyExists, () => fs.CreateHardLink(fs.RootInode, kind.ToString(), inodes[UnixFileType.RegularFile]));
        string other = kind == UnixFileType.Fifo ? "SymbolicLink" : "Fifo";
        Case("Rename without overwrite", VexErrorKind.AlreadyExists, () => fs.Rename(fs.RootInode, other, fs.RootInode, kind.ToString(), overwrite: false));
        Case("Move without overwrite", VexErrorKind.AlreadyExists, () => fs.Move("/" + other, path));
        Case("SetXattr Create", VexErrorKind.AlreadyExists, () => fs.SetXattr(inode, "user.tag", [9], XattrMode.Create));
        Case("SetXattr Replace", VexErrorKind.NoData, () => fs.SetXattr(inode, "user.none", [9], XattrMode.Replace));
        Case("GetXattr missing", VexErrorKind.NoData, () => fs.GetXattr(path, "user.none"));
        Case("RemoveXattr missing", VexErrorKind.NoData, () => fs.RemoveXattr(inode, "user.none"));
    }

    private static void NoSuchInode(VexFileSystem fs, long inode, Dictionary<UnixFileType, long> inodes, Action<string, VexErrorKind, Action> test)
    {
        void Case(string what, VexErrorKind expected, Action call) => test($"{what} on inode {inode}", expected, call);
        var notFound = VexErrorKind.NotFound;
        Case("GetInfo", notFound, () => fs.GetInfo(inode));
        Case("SetInfo", notFound, () => fs.SetInfo(inode, new VexInfoChange { Permissions = 0x1FF }));
        Case("Lookup", notFound, () => fs.Lookup(inode, "x"));
        Case("ReadDirectory", notFound, () => fs.ReadDirectory(inode, 0, 10));
        Case("CreateFile in", notFound, () => fs.CreateFile(inode, "new"));
        Case("CreateDirectory in", notFound, () => fs.CreateDirectory(inode, "new"));
        Case("CreateSymbolicLink in", notFound, () => fs.CreateSymbolicLink(inode, "new", "t"));
        Case("CreateSpecialFile in", notFound, () => fs.CreateSpecialFile(inode, "new", UnixFileType.Fifo));
        Case("CreateHardLink in", notFound, () => fs.CreateHardLink(inode, "new", inodes[UnixFileType.RegularFile]));
        Case("CreateHardLink to", notFound, () => fs.CreateHardLink(fs.RootInode, "new", inode));
        Case("Unlink in", notFound, () => fs.Unlink(inode, "x"));
        Case("RemoveDirectory in", notFound, () => fs.RemoveDirectory(inode, "x"));
        Case("Rename from", notFound, () => fs.Rename(inode, "x", fs.RootInode, "new"));
        Case("Rename into", notFound, () => fs.Rename(fs.RootInode, "RegularFile", inode, "new"));
        Case("OpenFile", notFound, () => fs.OpenFile(inode, FileAccess.Read));
        Case("Read", notFound, () => fs.Read(inode, 0, new byte[10]));
        Case("Write", notFound, () => fs.Write(inode, 0, "x"u8));
        Case("Write nothing", notFound, () => fs.Write(inode, 0, []));
        Case("SetLength", notFound, () => fs.SetLength(inode, 0));
        Case("Allocate", notFound, () => fs.Allocate(inode, 0, 4096));
        Case("ReadLink", notFound, () => fs.ReadLink(inode));
        Case("GetXattr", notFound, () => fs.GetXattr(inode, "user.tag"));
        Case("SetXattr", notFound, () => fs.SetXattr(inode, "user.tag", [1]));
        Case("ListXattrs", notFound, () => fs.ListXattrs(inode));
        Case("RemoveXattr", notFound, () => fs.RemoveXattr(inode, "user.tag"));
    }

    private static void BadName(VexFileSystem fs, string shape, string name, VexErrorKind kind, Dictionary<UnixFileType, long> inodes, Action<string, VexErrorKind, Action> test)
    {
        void Case(string what, VexErrorKind expected, Action call) => test($"{what} with a name ({shape})", expected, call);
        long root = fs.RootInode;
        long file = inodes[UnixFileType.RegularFile];
        Case("Lookup", kind, () => fs.Lookup(root, name));
        Case("CreateFile", kind, () => fs.CreateFile(root, name));
        Case("CreateDirectory", kind, () => fs.CreateDirectory(root, name));
        Case("CreateSymbolicLink", kind, () => fs.CreateSymbolicLink(root, name, "t"));
        Case("CreateSpecialFile", kind, () => fs.CreateSpecialFile(root, name, UnixFileType.Fifo));
        Case("CreateHardLink", kind, () => fs.CreateHardLink(root, name, file));
        Case("Unlink", kind, () => fs.Unlink(root, name));
        Case("RemoveDirectory", kind, () => fs.RemoveDirectory(root, name));
        Case("Rename from", kind, () => fs.Rename(root, name, root, "new"));
        Case("Rename to", kind, () => fs.Rename(root, "RegularFile", root, name));

        // In a path: '/' separates, and '', '.' and '..' step, so only the last name is wrong there.
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return;
        }

        if (name is "" or "." or "..")
        {
            Case("OpenFile CreateNew", VexErrorKind.InvalidArgument, () => fs.OpenFile("/" + name, FileMode.CreateNew));
            Case("Delete", VexErrorKind.InvalidArgument, () => fs.Delete("/" + name));
            Case("CreateSymbolicLink by path", VexErrorKind.InvalidArgument, () => fs.CreateSymbolicLink("/" + name, "t"));
            if (name.Length == 0)
            {
                Case("SetXattr name", VexErrorKind.InvalidArgument, () => fs.SetXattr(file, name, [1]));
            }
            else
            {
                // "/Directory/" names the directory itself, as a trailing '/' does; "/Directory/." names no entry.
                Case("DeleteDirectory", VexErrorKind.InvalidArgument, () => fs.DeleteDirectory("/Directory/" + name, recursive: true));
            }

            return;
        }

        string bad = "/" + name;
        Case("GetInfo", kind, () => fs.GetInfo(bad));
        Case("GetInfo below", kind, () => fs.GetInfo(bad + "/x"));
        Case("SetInfo", kind, () => fs.SetInfo(bad, new VexInfoChange { Permissions = 0x1FF }));
        Case("OpenFile CreateNew", kind, () => fs.OpenFile(bad, FileMode.CreateNew));
        Case("OpenFile Open", kind, () => fs.OpenFile(bad, FileMode.Open));
        Case("CreateDirectory by path", kind, () => fs.CreateDirectory(bad));
        Case("CreateDirectory below", kind, () => fs.CreateDirectory("/Directory" + bad + "/x"));
        Case("Delete", kind, () => fs.Delete(bad));
        Case("DeleteDirectory", kind, () => fs.DeleteDirectory(bad, recursive: true));
        Case("Move from", kind, () => fs.Move(bad, "/new"));
        Case("Move to", kind, () => fs.Move("/RegularFile", bad));
        Case("CreateHardLink by path", kind, () => fs.CreateHardLink(bad, "/RegularFile"));
        Case("CreateSymbolicLink by path", kind, () => fs.CreateSymbolicLink(bad, "t"));
        Case("CreateSpecialFile by path", kind, () => fs.CreateSpecialFile(bad, UnixFileType.Fifo));
        Case("ReadLink by path", kind, () => fs.ReadLink(bad));
        Case("SetXattr by path", kind, () => fs.SetXattr(bad, "user.tag", [1]));
        Case("EnumerateEntries", kind, () => fs.EnumerateEntries(bad));
        Case("Exists", kind, () => fs.Exists(bad));

        // The same shapes as attribute names and link targets.
        var xattrKind = kind == VexErrorKind.NameTooLong ? VexErrorKind.Range : kind;
        Case("SetXattr name", xattrKind, () => fs.SetXattr(file, name, [1]));
        Case("GetXattr name", xattrKind, () => fs.GetXattr(file, name));
        Case("RemoveXattr name", xattrKind, () => fs.RemoveXattr(file, name));

        if (kind == VexErrorKind.InvalidArgument)
        {
            Case("CreateSymbolicLink target", kind, () => fs.CreateSymbolicLink(root, "new", name));
        }
    }

    private static void BadNumbers(VexFileSystem fs, Dictionary<UnixFileType, long> inodes, Action<string, VexErrorKind, Action> Case)
    {
        long file = inodes[UnixFileType.RegularFile];
        long directory = inodes[UnixFileType.Directory];
        var invalid = VexErrorKind.InvalidArgument;
        var tooLarge = VexErrorKind.FileTooLarge;
        Case("Read at -1", invalid, () => fs.Read(file, -1, new byte[1]));
        Case("Read at long.MinValue", invalid, () => fs.Read(file, long.MinValue, new byte[1]));
        Case("Write at -1", invalid, () => fs.Write(file, -1, "x"u8));
        Case("Write at long.MaxValue", tooLarge, () => fs.Write(file, long.MaxValue, "x"u8));
        Case("Write ending past MaxFileSize", tooLarge, () => fs.Write(file, fs.MaxFileSize - 1, "xy"u8));
        Case("SetLength -1", invalid, () => fs.SetLength(file, -1));
        Case("SetLength long.MaxValue", tooLarge, () => fs.SetLength(file, long.MaxValue));
        Case("Allocate at -1", invalid, () => fs.Allocate(file, -1, 4096));
        Case("Allocate 0 bytes", invalid, () => fs.Allocate(file, 0, 0));
        Case("Allocate -1 bytes", invalid, () => fs.Allocate(file, 0, -1));
        Case("Allocate at long.MaxValue", tooLarge, () => fs.Allocate(file, long.MaxValue, 1));
        Case("Allocate long.MaxValue bytes", tooLarge, () => fs.Allocate(file, 4096, long.MaxValue));
        Case("ReadDirectory at -1", invalid, () => fs.ReadDirectory(directory, -1, 10));
        Case("ReadDirectory of 0", invalid, () => fs.ReadDirectory(directory, 0, 0));
        Case("SetInfo permissions -1", invalid, () => fs.SetInfo(file, new VexInfoChange { Permissions = -1 }));
        Case("SetInfo permissions 0x1000", invalid, () => fs.SetInfo(file, new VexInfoChange { Permissions = 0x1000 }));
        Case("CreateSpecialFile of a regular file", invalid, () => fs.CreateSpecialFile(fs.RootInode, "new", UnixFileType.RegularFile));
        Case("CreateSpecialFile pipe with a device number", invalid, () => fs.CreateSpecialFile(fs.RootInode, "new", UnixFileType.Fifo, major: 1));
        Case("SetXattr value of 4001 bytes", VexErrorKind.Range, () => fs.SetXattr(file, "user.big", new byte[4001]));
        Case("CreateSymbolicLink target of 4096 bytes", VexErrorKind.NameTooLong, () => fs.CreateSymbolicLink(fs.RootInode, "new", new string('t', 4096)));
        Case("OpenFile relative", invalid, () => fs.OpenFile("RegularFile", FileMode.Open));
        Case("OpenFile undefined mode", invalid, () => fs.OpenFile("/new", (FileMode)77));
        Case("OpenFile undefined access", invalid, () => fs.OpenFile("/new", FileMode.Create, (FileAccess)4));
        Case("OpenFile read-only Create", invalid, () => fs.OpenFile("/new", FileMode.Create, FileAccess.Read));
        using var stream = fs.OpenFile(file, FileAccess.Read);
        Case("Stream position -1", invalid, () => stream.Position = -1);
        Case("Stream position long.MaxValue", tooLarge, () => stream.Position = long.MaxValue);
        Case("Stream seek past MaxFileSize from the end", tooLarge, () => stream.Seek(long.MaxValue, SeekOrigin.End));
        Case("Stream write when read-only", VexErrorKind.BadHandle, () => stream.Write("x"u8));
        Case("Stream SetLength when read-only", VexErrorKind.BadHandle, () => stream.SetLength(0));
        Case("Stream exclusive open while open", VexErrorKind.Busy, () => fs.OpenFile(file, FileAccess.Read, FileShare.None).Dispose());
    }

    /// <summary>Everything a caller can see: every name with its attributes, contents, link target and extended attributes, and the free counts.</summary>
    private static List<string> Snapshot(VexFileSystem fs)
    {
        var lines = new List<string> { fs.GetSpaceInfo().ToString() };
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            foreach (var entry in fs.EnumerateEntries(directory).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                string path = directory.TrimEnd('/') + "/" + entry.Name;
                var info = fs.GetInfo(path);
                var text = new StringBuilder($"{path} {info}");
                foreach (string name in fs.ListXattrs(path))
                {
                    text.Append($" {name}={Convert.ToHexString(fs.GetXattr(path, name))}");
                }

                if (info.Type == UnixFileType.RegularFile)
                {
                    var content = new byte[info.Size];
                    fs.Read(info.Inode, 0, content);
                    text.Append($" {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(content))}");
                }
                else if (info.Type == UnixFileType.SymbolicLink)
                {
                    text.Append($" -> {fs.ReadLink(path)}");
                }
                else if (info.Type == UnixFileType.Directory)
                {
                    pending.Push(path);
                }

                lines.Add(text.ToString());
            }
        }

        lines.Add(fs.GetInfo("/").ToString());
        return lines;
    }

    private static string? Difference(List<string> before, List<string> after)
    {
        var gone = before.Except(after).ToList();
        var came = after.Except(before).ToList();
        return gone.Count == 0 && came.Count == 0 ? null : $"before: {string.Join(" | ", gone)}; after: {string.Join(" | ", came)}";
    }
}
