using System.CommandLine;
using System.Globalization;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Core.Editing;
using VexFs.Format.Records;
using VexFs.Samples;

namespace VexCtl;

/// <summary>
/// Works on an unmounted image or device through the library, as e2tools do: ls, cat, put, get, mkdir, rm,
/// stat and df (attributes are in <see cref="AttributeCommands"/>).
/// </summary>
internal static class ImageCommands
{
    public static Option<string> DeviceOption { get; } = new("--device", "-d") { Description = "The image file or block device holding the filesystem.", Recursive = true };

    public static IEnumerable<Command> All() => [List(), Cat(), Put(), Get(), MakeDirectory(), Remove(), Stat(), DiskFree(), MakeNode()];

    private static Command List()
    {
        var path = new Argument<string>("path") { DefaultValueFactory = _ => "/" };
        var longFormat = new Option<bool>("-l") { Description = "Show type, size and inode." };
        var command = new Command("ls", "List a directory.") { path, longFormat };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: true, fs =>
        {
            foreach (var entry in fs.EnumerateEntries(parsed.GetValue(path)!).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                if (!parsed.GetValue(longFormat))
                {
                    Console.WriteLine(entry.Name);
                    continue;
                }

                var info = fs.GetInfo(Combine(parsed.GetValue(path)!, entry.Name));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{TypeChar(info.Type)}{Convert.ToString(info.Permissions, 8),4} {info.LinkCount,3} {info.Size,12} {info.ModifiedTime:yyyy-MM-dd HH:mm} {entry.Name}"));
            }
        }));
        return command;
    }

    private static Command Cat()
    {
        var path = new Argument<string>("path");
        var command = new Command("cat", "Write a file to standard output.") { path };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: true, fs =>
        {
            using var stream = fs.OpenFile(parsed.GetValue(path)!, FileMode.Open, FileAccess.Read);
            using var output = Console.OpenStandardOutput();
            stream.CopyTo(output);
        }));
        return command;
    }

    private static Command Put()
    {
        var source = new Argument<string>("source") { Description = "A local file or, with -r, directory." };
        var destination = new Argument<string>("destination") { Description = "The path in the filesystem." };
        var recursive = new Option<bool>("-r") { Description = "Copy a directory tree." };
        var command = new Command("put", "Copy local files into the filesystem.") { source, destination, recursive };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: false, fs =>
        {
            string from = parsed.GetValue(source)!;
            string to = parsed.GetValue(destination)!;
            if (Directory.Exists(from))
            {
                if (!parsed.GetValue(recursive))
                {
                    throw new IOException($"'{from}' is a directory (use -r).");
                }

                CopyIn(fs, from, to);
            }
            else
            {
                CopyFileIn(fs, from, to);
            }

            fs.Flush();
        }));
        return command;
    }

    private static Command Get()
    {
        var source = new Argument<string>("source") { Description = "The path in the filesystem." };
        var destination = new Argument<string>("destination") { Description = "A local path." };
        var recursive = new Option<bool>("-r") { Description = "Copy a directory tree." };
        var command = new Command("get", "Copy files out of the filesystem, with their user.* extended attributes (vectors included).") { source, destination, recursive };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: true, fs =>
        {
            string from = parsed.GetValue(source)!;
            var attributes = new AttributeCopy();
            var info = fs.GetInfo(from);
            if (info.Type == UnixFileType.Directory)
            {
                if (!parsed.GetValue(recursive))
                {
                    throw new IOException($"'{from}' is a directory (use -r).");
                }

                CopyOut(fs, from, parsed.GetValue(destination)!, attributes);
            }
            else
            {
                CopyFileOut(fs, from, parsed.GetValue(destination)!, attributes);
            }

            if (attributes.Lost)
            {
                Console.Error.WriteLine($"vexctl: warning: the host filesystem at '{parsed.GetValue(destination)}' keeps no user extended attributes: vectors (user.vexfs.*) and other user.* attributes were not copied");
            }
        }));
        return command;
    }

    private static Command MakeNode()
    {
        var path = new Argument<string>("path");
        var kind = new Argument<string>("type") { Description = "p (named pipe), c (character device) or b (block device)." };
        var major = new Argument<uint?>("major") { Description = "The device's major number (c and b).", Arity = ArgumentArity.ZeroOrOne };
        var minor = new Argument<uint?>("minor") { Description = "The device's minor number (c and b).", Arity = ArgumentArity.ZeroOrOne };
        var mode = new Option<string>("-m") { Description = "Octal permission bits.", DefaultValueFactory = _ => "644" };
        var command = new Command("mknod", "Create a named pipe or a device file.") { path, kind, major, minor, mode };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: false, fs =>
        {
            var type = parsed.GetValue(kind) switch
            {
                "p" => UnixFileType.Fifo,
                "c" or "u" => UnixFileType.CharacterDevice,
                "b" => UnixFileType.BlockDevice,
                var other => throw new ArgumentException($"'{other}' is not a node type (p, c or b)."),
            };
            var (maj, min) = (parsed.GetValue(major), parsed.GetValue(minor));
            bool device = type != UnixFileType.Fifo;
            if (device != (maj is not null && min is not null) || (!device && (maj ?? min) is not null))
            {
                throw new ArgumentException(device ? "A device file needs its major and minor numbers." : "A named pipe takes no device numbers.");
            }

            fs.CreateSpecialFile(parsed.GetValue(path)!, type, AttributeCommands.ParseMode(parsed.GetValue(mode)!), maj ?? 0, min ?? 0);
            fs.Flush();
        }));
        return command;
    }

    private static Command MakeDirectory()
    {
        var path = new Argument<string>("path");
        var parents = new Option<bool>("-p") { Description = "Create missing parents; an existing directory is fine." };
        var command = new Command("mkdir", "Create a directory.") { path, parents };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: false, fs =>
        {
            string target = parsed.GetValue(path)!;
            if (!parsed.GetValue(parents) && fs.Exists(target))
            {
                throw new IOException($"'{target}' already exists.");
            }

            if (!parsed.GetValue(parents) && !fs.Exists(Parent(target)))
            {
                throw new IOException($"'{Parent(target)}' does not exist (use -p).");
            }

            fs.CreateDirectory(target);
            fs.Flush();
        }));
        return command;
    }

    private static Command Remove()
    {
        var path = new Argument<string>("path");
        var recursive = new Option<bool>("-r") { Description = "Remove a directory and everything below it." };
        var command = new Command("rm", "Remove a file, or a directory with -r; never the root.") { path, recursive };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: false, fs =>
        {
            string target = parsed.GetValue(path)!;
            var info = fs.GetInfo(target);
            if (info.Inode == fs.RootInode)
            {
                // As rm --preserve-root: the root and its lost+found stay.
                throw new IOException($"refusing to remove '{target}': it is the root directory (remove what is in it instead).");
            }

            if (info.Type == UnixFileType.Directory)
            {
                if (!parsed.GetValue(recursive))
                {
                    throw new IOException($"'{target}' is a directory (use -r).");
                }

                fs.DeleteDirectory(target, recursive: true);
            }
            else
            {
                fs.Delete(target);
            }

            fs.Flush();
        }));
        return command;
    }

    private static Command Stat()
    {
        var path = new Argument<string>("path");
        var command = new Command("stat", "Show a file's inode.") { path };
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: true, fs =>
        {
            var info = fs.GetInfo(parsed.GetValue(path)!);
            Console.WriteLine($"  File: {parsed.GetValue(path)}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Size: {info.Size}\tBlocks: {info.Blocks}\tInode: {info.Inode}\tLinks: {info.LinkCount}\t{info.Type}"));
            if (info.Type is UnixFileType.CharacterDevice or UnixFileType.BlockDevice)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Device type: {info.DeviceMajor},{info.DeviceMinor}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Access: 0{Convert.ToString(info.Permissions, 8)}\tUid: {info.Uid}\tGid: {info.Gid}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Access: {info.AccessedTime:O}\nModify: {info.ModifiedTime:O}\nChange: {info.ChangedTime:O}\n Birth: {info.CreatedTime:O}"));
        }));
        return command;
    }

    private static Command DiskFree()
    {
        var command = new Command("df", "Show used and free space.");
        command.SetAction(parsed => WithFileSystem(parsed, readOnly: true, fs =>
        {
            var space = fs.GetSpaceInfo();
            long total = space.TotalBlocks * space.BlockSize;
            long free = space.FreeBlocks * space.BlockSize;
            Console.WriteLine("Size        Used        Avail       Inodes      IFree");
            Console.WriteLine($"{Size.Format(total),-11} {Size.Format(total - free),-11} {Size.Format(free),-11} {space.TotalInodes,-11} {space.FreeInodes}");
        }));
        return command;
    }

    internal static int WithFileSystem(ParseResult parsed, bool readOnly, Action<VexFileSystem> action)
    {
        string device = parsed.GetValue(DeviceOption) ?? throw new ArgumentException("--device is required: the image or device holding the filesystem.");
        using var fs = VexFileSystem.Open(BlockDevice.Open(device, readOnly), new VexFileSystemOptions { ReadOnly = readOnly });
        action(fs);
        return CommandRunner.Ok;
    }

    private static void CopyIn(VexFileSystem fs, string from, string to)
    {
        fs.CreateDirectory(to);
        foreach (string entry in Directory.EnumerateFileSystemEntries(from).Order(StringComparer.Ordinal))
        {
            string target = Combine(to, Path.GetFileName(entry));
            var info = new FileInfo(entry);
            if (info.LinkTarget is { } link)
            {
                fs.CreateSymbolicLink(target, link);
            }
            else if (Directory.Exists(entry))
            {
                CopyIn(fs, entry, target);
            }
            else
            {
                CopyFileIn(fs, entry, target);
            }
        }
    }

    private static void CopyFileIn(VexFileSystem fs, string from, string to)
    {
        if (fs.Exists(to) && fs.GetInfo(to).Type == UnixFileType.Directory)
        {
            to = Combine(to, Path.GetFileName(from));
        }

        var host = HostFile.Describe(from);
        if (host.Type is UnixFileType.CharacterDevice or UnixFileType.BlockDevice or UnixFileType.Fifo or UnixFileType.Socket)
        {
            // Reading a pipe or a device would wait or never end: these are made, not copied.
            fs.CreateSpecialFile(to, host.Type, host.Permissions, host.DeviceMajor, host.DeviceMinor);
            return;
        }

        using var input = File.OpenRead(from);
        using var output = fs.OpenFile(to, FileMode.Create);
        input.CopyTo(output, 1 << 20);
    }

    private static void CopyOut(VexFileSystem fs, string from, string to, AttributeCopy attributes)
    {
        Directory.CreateDirectory(to);
        attributes.Copy(fs, from, to);
        foreach (var entry in fs.EnumerateEntries(from))
        {
            string source = Combine(from, entry.Name);
            string target = Path.Combine(to, entry.Name);
            switch (entry.Type)
            {
                case UnixFileType.Directory:
                    CopyOut(fs, source, target, attributes);
                    break;
                case UnixFileType.SymbolicLink:
                    File.CreateSymbolicLink(target, fs.ReadLink(source));
                    break;
                case UnixFileType.CharacterDevice or UnixFileType.BlockDevice or UnixFileType.Fifo or UnixFileType.Socket:
                    Console.Error.WriteLine($"vexctl: skipped {source}: a {entry.Type} is not copied out");
                    break;
                default:
                    CopyFileOut(fs, source, target, attributes);
                    break;
            }
        }
    }

    private static void CopyFileOut(VexFileSystem fs, string from, string to, AttributeCopy attributes)
    {
        using (var input = fs.OpenFile(from, FileMode.Open, FileAccess.Read))
        using (var output = File.Create(to))
        {
            input.CopyTo(output, 1 << 20);
        }

        attributes.Copy(fs, from, to);
    }

    private static string Combine(string directory, string name) => directory.TrimEnd('/') + "/" + name;

    private static string Parent(string path)
    {
        string trimmed = path.TrimEnd('/');
        int slash = trimmed.LastIndexOf('/');
        return slash <= 0 ? "/" : trimmed[..slash];
    }

    private static char TypeChar(UnixFileType type) => type switch
    {
        UnixFileType.Directory => 'd',
        UnixFileType.SymbolicLink => 'l',
        UnixFileType.CharacterDevice => 'c',
        UnixFileType.BlockDevice => 'b',
        UnixFileType.Fifo => 'p',
        UnixFileType.Socket => 's',
        _ => '-',
    };

    /// <summary>Copies user attributes out until the host turns out to keep none (once is enough to know).</summary>
    private sealed class AttributeCopy
    {
        public bool Lost { get; private set; }

        public void Copy(VexFileSystem fs, string from, string to) => Lost = Lost || !HostAttributes.CopyOut(fs, from, to);
    }
}
