using System.Text;
using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>The operations, the in-memory model of the tree, and the generator of random operations.</summary>
public sealed partial class ModelBasedTests
{
    /// <summary>
    /// What the attributes of one inode may take: one 1 KiB attribute block less its 16-byte header and
    /// 4-byte checksum; each attribute costs 3 bytes plus its name and value.
    /// </summary>
    private const int XattrCapacity = 1024 - 16 - 4;

    private abstract record Op;

    private sealed record CreateFile(string Path) : Op;

    private sealed record WriteFile(string Path, long Offset, int Length, int DataSeed, bool FlushStream) : Op;

    private sealed record Truncate(string Path, long Length) : Op;

    private sealed record MakeDirectory(string Path) : Op;

    private sealed record Move(string Source, string Destination, bool Overwrite) : Op;

    private sealed record HardLink(string Path, string Existing) : Op;

    private sealed record SymbolicLink(string Path, string Target) : Op;

    /// <summary>A device file, pipe or socket (a pipe or socket given a device number is refused).</summary>
    private sealed record MakeNode(string Path, UnixFileType Type, uint Major, uint Minor) : Op;

    private sealed record DeleteFile(string Path) : Op;

    private sealed record RemoveDirectory(string Path, bool Recursive) : Op;

    private sealed record SetAttribute(string Path, string Name, int Length, int DataSeed, XattrMode Mode) : Op;

    private sealed record RemoveAttribute(string Path, string Name) : Op;

    private sealed record ChangeInfo(string Path, int? Permissions, uint? Uid, uint? Gid, long? AccessedTicks, long? ModifiedTicks) : Op;

    private sealed record SetVector(string Path, int Seed) : Op;

    private sealed record RemoveVector(string Path) : Op;

    private sealed record FlushAll : Op;

    /// <summary>Unmounts and mounts again with these options (also the options of the first mount).</summary>
    private sealed record Reopen(int MaxUnflushed, long CacheBytes) : Op;

    private abstract class Node(UnixFileType type, int permissions)
    {
        public UnixFileType Type { get; } = type;

        public int Permissions { get; set; } = permissions;

        public uint Uid { get; set; }

        public uint Gid { get; set; }

        /// <summary>The access time, when a SetInfo made it known.</summary>
        public DateTimeOffset? Accessed { get; set; }

        /// <summary>The modification time, when a SetInfo made it known and nothing changed it since.</summary>
        public DateTimeOffset? Modified { get; set; }

        public SortedDictionary<string, byte[]> Xattrs { get; } = new(StringComparer.Ordinal);
    }

    private sealed class DirectoryNode(int permissions) : Node(UnixFileType.Directory, permissions)
    {
        public SortedDictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A regular file, a symbolic link, or a device file, pipe or socket.</summary>
    private sealed class FileNode(UnixFileType type, int permissions) : Node(type, permissions)
    {
        public byte[] Content { get; set; } = [];

        public string Target { get; init; } = string.Empty;

        public (uint Major, uint Minor) Device { get; init; }

        public int Links { get; set; } = 1;

        /// <summary>The file's vector in the test's space, shared by its hard links.</summary>
        public float[]? Vector { get; set; }
    }

    /// <summary>The tree as the API should show it, and what each operation should do to it.</summary>
    private sealed class Model
    {
        private Model(DirectoryNode root) => Root = root;

        public DirectoryNode Root { get; }

        /// <summary>Whether a vector was ever set: the space's rows then take a system inode, for good.</summary>
        public bool HasRowsInode { get; private set; }

        /// <summary>The tree of a newly formatted filesystem: the root and lost+found.</summary>
        public static Model Capture(VexFileSystem fs)
        {
            var rootInfo = fs.GetInfo("/");
            var lostInfo = fs.GetInfo("/lost+found");
            var root = new DirectoryNode(rootInfo.Permissions) { Uid = rootInfo.Uid, Gid = rootInfo.Gid };
            root.Children["lost+found"] = new DirectoryNode(lostInfo.Permissions) { Uid = lostInfo.Uid, Gid = lostInfo.Gid };
            Assert.Equal(["lost+found"], fs.EnumerateEntries("/").Select(e => e.Name));
            return new Model(root);
        }

        public int CountNodes()
        {
            var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
            Collect(Root);
            return seen.Count;

            void Collect(Node node)
            {
                if (seen.Add(node) && node is DirectoryNode directory)
                {
                    foreach (var child in directory.Children.Values)
                    {
                        Collect(child);
                    }
                }
            }
        }

        /// <summary>Every path below the root except lost+found, with its node.</summary>
        public List<(string Path, Node Node)> Entries()
        {
            var all = new List<(string, Node)>();
            Walk("/", Root);
            return all;

            void Walk(string path, DirectoryNode directory)
            {
                foreach (var (name, child) in directory.Children)
                {
                    if (path == "/" && name == "lost+found")
                    {
                        continue;
                    }

                    string childPath = (path == "/" ? string.Empty : path) + "/" + name;
                    all.Add((childPath, child));
                    if (child is DirectoryNode subdirectory)
                    {
                        Walk(childPath, subdirectory);
                    }
                }
            }
        }

        /// <summary>
        /// Applies <paramref name="op"/> to the model and returns null, or returns the kind of refusal the
        /// filesystem must raise and leaves the model as it was.
        /// </summary>
        public VexErrorKind? Apply(Op op)
        {
            switch (op)
            {
                case CreateFile c:
                    {
                        if (ResolveParent(c.Path, out var parent, out string name) is { } error)
                        {
                            return error;
                        }

                        if (parent.Children.TryGetValue(name, out var existing))
                        {
                            return VexErrorKind.AlreadyExists;
                        }

                        parent.Children[name] = new FileNode(UnixFileType.RegularFile, 0x1A4);
                        parent.Modified = null;
                        return null;
                    }

                case WriteFile w:
                    {
                        if (RegularFile(w.Path, out var file) is { } error)
                        {
                            return error;
                        }

                        if (w.Length > 0)
                        {
                            var content = file.Content;
                            if (w.Offset + w.Length > content.Length)
                            {
                                Array.Resize(ref content, (int)(w.Offset + w.Length));
                            }

                            Patterns.Random(w.Length, w.DataSeed).CopyTo(content, (int)w.Offset);
                            file.Content = content;
                            file.Modified = null;
                        }

                        return null;
                    }

                case Truncate t:
                    {
                        if (RegularFile(t.Path, out var file) is { } error)
                        {
                            return error;
                        }

                        var content = file.Content;
                        Array.Resize(ref content, (int)t.Length);
                        file.Content = content;
                        file.Modified = null;
                        return null;
                    }

                case MakeDirectory m:
                    {
                        // Like mkdir -p: existing directories are fine, anything else in the way fails the whole call.
                        var current = Root;
                        var parts = Parts(m.Path);
                        int at = 0;
                        for (; at < parts.Length && current.Children.TryGetValue(parts[at], out var child); at++)
                        {
                            if (child is not DirectoryNode directory)
                            {
                                // mkdir -p: a file where the last name goes exists; one on the way is no directory.
                                return at == parts.Length - 1 ? VexErrorKind.AlreadyExists : VexErrorKind.NotADirectory;
                            }

                            current = directory;
                        }

                        for (; at < parts.Length; at++)
                        {
                            var created = new DirectoryNode(0x1ED);
                            current.Children[parts[at]] = created;
                            current.Modified = null;
                            current = created;
                        }

                        return null;
                    }

                case Move m:
                    return Rename(m);

                case HardLink h:
                    {
                        if (Resolve(h.Existing, out var target) is { } error)
                        {
                            return error;
                        }

                        if (ResolveParent(h.Path, out var parent, out string name) is { } parentError)
                        {
                            return parentError;
                        }

                        if (target is not FileNode file)
                        {
                            return VexErrorKind.NotPermitted;
                        }

                        if (parent.Children.ContainsKey(name))
                        {
                            return VexErrorKind.AlreadyExists;
                        }

                        parent.Children[name] = file;
                        parent.Modified = null;
                        file.Links++;
                        return null;
                    }

                case SymbolicLink s:
                    {
                        if (ResolveParent(s.Path, out var parent, out string name) is { } error)
                        {
                            return error;
                        }

                        if (parent.Children.ContainsKey(name))
                        {
                            return VexErrorKind.AlreadyExists;
                        }

                        parent.Children[name] = new FileNode(UnixFileType.SymbolicLink, 0x1FF) { Target = s.Target };
                        parent.Modified = null;
                        return null;
                    }

                case MakeNode m:
                    {
                        if (ResolveParent(m.Path, out var parent, out string name) is { } error)
                        {
                            return error;
                        }

                        bool device = m.Type is UnixFileType.CharacterDevice or UnixFileType.BlockDevice;
                        if (!device && (m.Major | m.Minor) != 0)
                        {
                            return VexErrorKind.InvalidArgument;
                        }

                        if (parent.Children.ContainsKey(name))
                        {
                            return VexErrorKind.AlreadyExists;
                        }

                        parent.Children[name] = new FileNode(m.Type, 0x1A4) { Device = (m.Major, m.Minor) };
                        parent.Modified = null;
                        return null;
                    }

                case DeleteFile d:
                    {
                        if (ResolveParent(d.Path, out var parent, out string name) is { } error)
                        {
                            return error;
                        }

                        if (!parent.Children.TryGetValue(name, out var victim))
                        {
                            return VexErrorKind.NotFound;
                        }

                        if (victim is DirectoryNode)
                        {
                            return VexErrorKind.IsADirectory;
                        }

                        Remove(parent, name);
                        return null;
                    }

                case RemoveDirectory r:
                    {
                        if (ResolveParent(r.Path, out var parent, out string name) is { } error)
                        {
                            return error;
                        }

                        if (!parent.Children.TryGetValue(name, out var victim))
                        {
                            return VexErrorKind.NotFound;
                        }

                        if (victim is not DirectoryNode directory)
                        {
                            return VexErrorKind.NotADirectory;
                        }

                        if (!r.Recursive && directory.Children.Count > 0)
                        {
                            return VexErrorKind.NotEmpty;
                        }

                        Remove(parent, name);
                        return null;
                    }

                case SetAttribute x:
                    {
                        if (Resolve(x.Path, out var node) is { } error)
                        {
                            return error;
                        }

                        bool exists = node.Xattrs.ContainsKey(x.Name);
                        if (x.Mode == XattrMode.Create && exists)
                        {
                            return VexErrorKind.AlreadyExists;
                        }

                        if (x.Mode == XattrMode.Replace && !exists)
                        {
                            return VexErrorKind.NoData;
                        }

                        var after = new SortedDictionary<string, byte[]>(node.Xattrs, StringComparer.Ordinal) { [x.Name] = Patterns.Random(x.Length, x.DataSeed) };
                        if (after.Sum(a => 3 + Encoding.UTF8.GetByteCount(a.Key) + a.Value.Length) > XattrCapacity)
                        {
                            return VexErrorKind.NoSpace;
                        }

                        node.Xattrs[x.Name] = after[x.Name];
                        return null;
                    }

                case RemoveAttribute x:
                    {
                        if (Resolve(x.Path, out var node) is { } error)
                        {
                            return error;
                        }

                        return node.Xattrs.Remove(x.Name) ? null : VexErrorKind.NoData;
                    }

                case ChangeInfo i:
                    {
                        if (Resolve(i.Path, out var node) is { } error)
                        {
                            return error;
                        }

                        node.Permissions = i.Permissions ?? node.Permissions;
                        node.Uid = i.Uid ?? node.Uid;
                        node.Gid = i.Gid ?? node.Gid;
                        node.Accessed = Time(i.AccessedTicks) ?? node.Accessed;
                        node.Modified = Time(i.ModifiedTicks) ?? node.Modified;
                        return null;
                    }

                case SetVector v:
                    {
                        if (Resolve(v.Path, out var node) is { } error)
                        {
                            return error;
                        }

                        if (node is not FileNode { Type: UnixFileType.RegularFile } file)
                        {
                            return node is DirectoryNode ? VexErrorKind.IsADirectory : VexErrorKind.InvalidKind;
                        }

                        file.Vector = VectorOf(v.Seed);
                        HasRowsInode = true;
                        return null;
                    }

                case RemoveVector v:
                    {
                        if (Resolve(v.Path, out var node) is { } error)
                        {
                            return error;
                        }

                        if (node is FileNode file)
                        {
                            file.Vector = null;
                        }

                        return null;
                    }

                case FlushAll or Reopen:
                    return null;
                default:
                    throw new ArgumentOutOfRangeException(nameof(op), op, "unknown operation");
            }
        }

        private VexErrorKind? Rename(Move m)
        {
            if (ResolveParent(m.Source, out var fromParent, out string fromName) is { } error)
            {
                return error;
            }

            if (ResolveParent(m.Destination, out var toParent, out string toName) is { } destinationError)
            {
                return destinationError;
            }

            if (!fromParent.Children.TryGetValue(fromName, out var moving))
            {
                return VexErrorKind.NotFound;
            }

            bool same = ReferenceEquals(fromParent, toParent) && fromName == toName;
            toParent.Children.TryGetValue(toName, out var existing);
            if (same)
            {
                return null;
            }

            if (existing is not null && !m.Overwrite)
            {
                return VexErrorKind.AlreadyExists;
            }

            if (moving is DirectoryNode directory && Contains(directory, toParent))
            {
                return VexErrorKind.InvalidArgument;
            }

            if (ReferenceEquals(existing, moving))
            {
                // Two names of one file: both stay, as with rename(2).
                return null;
            }

            if (existing is not null)
            {
                if ((existing is DirectoryNode) != (moving is DirectoryNode))
                {
                    return existing is DirectoryNode ? VexErrorKind.IsADirectory : VexErrorKind.NotADirectory;
                }

                if (existing is DirectoryNode { Children.Count: > 0 })
                {
                    return VexErrorKind.NotEmpty;
                }

                Remove(toParent, toName);
            }

            fromParent.Children.Remove(fromName);
            toParent.Children[toName] = moving;
            fromParent.Modified = null;
            toParent.Modified = null;
            if (moving is DirectoryNode)
            {
                // Its '..' entry changes; whether that counts as a modification is the filesystem's business.
                moving.Modified = null;
            }

            return null;
        }

        /// <summary>Whether <paramref name="node"/> is <paramref name="directory"/> or below it.</summary>
        private static bool Contains(DirectoryNode directory, Node node) =>
            ReferenceEquals(directory, node) || directory.Children.Values.Any(c => c is DirectoryNode d && Contains(d, node));

        /// <summary>Removes a name; files lose a link, directories go with everything below them.</summary>
        private static void Remove(DirectoryNode parent, string name)
        {
            var node = parent.Children[name];
            parent.Children.Remove(name);
            parent.Modified = null;
            Unlinked(node);

            static void Unlinked(Node node)
            {
                if (node is FileNode file)
                {
                    file.Links--;
                }
                else if (node is DirectoryNode directory)
                {
                    foreach (var child in directory.Children.Values)
                    {
                        Unlinked(child);
                    }
                }
            }
        }

        private VexErrorKind? RegularFile(string path, out FileNode file)
        {
            file = null!;
            if (Resolve(path, out var node) is { } error)
            {
                return error;
            }

            if (node is not FileNode { Type: UnixFileType.RegularFile } regular)
            {
                return node is DirectoryNode ? VexErrorKind.IsADirectory : VexErrorKind.InvalidKind;
            }

            file = regular;
            return null;
        }

        /// <summary>As the library resolves a path: a component that is not a directory, or a missing name.</summary>
        private VexErrorKind? Resolve(string path, out Node node)
        {
            node = Root;
            foreach (string part in Parts(path))
            {
                if (node is not DirectoryNode directory)
                {
                    return VexErrorKind.NotADirectory;
                }

                if (!directory.Children.TryGetValue(part, out var child))
                {
                    return VexErrorKind.NotFound;
                }

                node = child;
            }

            return null;
        }

        /// <summary>As the library resolves the directory of a path's last name: missing, or not a directory.</summary>
        private VexErrorKind? ResolveParent(string path, out DirectoryNode parent, out string name)
        {
            var parts = Parts(path);
            name = parts[^1];
            parent = null!;
            if (Resolve("/" + string.Join('/', parts[..^1]), out var node) is { } error)
            {
                return error;
            }

            if (node is not DirectoryNode directory)
            {
                return VexErrorKind.NotADirectory;
            }

            parent = directory;
            return null;
        }

        private static string[] Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A random operation, mostly on names that exist, sometimes on any name (to exercise the errors).</summary>
    private static Op Generate(Random random, Model model)
    {
        var entries = model.Entries();
        var files = entries.Where(e => e.Node.Type == UnixFileType.RegularFile).Select(e => e.Path).ToList();
        var directories = entries.Where(e => e.Node is DirectoryNode).Select(e => e.Path).ToList();
        var all = entries.Select(e => e.Path).ToList();

        string AnyPath()
        {
            int depth = random.Next(1, 4);
            return string.Concat(Enumerable.Range(0, depth).Select(_ => "/" + Names[random.Next(Names.Length)]));
        }

        string Pick(List<string> paths) => paths.Count > 0 && random.Next(10) < 8 ? paths[random.Next(paths.Count)] : AnyPath();

        string NewPath()
        {
            string parent = directories.Count > 0 && random.Next(3) > 0 ? directories[random.Next(directories.Count)] : string.Empty;
            return parent + "/" + Names[random.Next(Names.Length)];
        }

        long Size(string path) => entries.FirstOrDefault(e => e.Path == path).Node is FileNode file ? file.Content.Length : 0;

        int roll = random.Next(108);
        if (roll >= 100)
        {
            return roll < 105 ? new SetVector(Pick(random.Next(5) == 0 ? all : files), random.Next()) : new RemoveVector(Pick(files));
        }

        switch (roll)
        {
            case < 12:
                return new CreateFile(random.Next(10) < 8 ? NewPath() : Pick(all));
            case < 30:
                {
                    string path = Pick(files);
                    long size = Size(path);
                    long offset = random.Next(4) switch
                    {
                        0 => size,
                        1 => size + random.Next(1, 12_000),
                        2 => random.Next(20_000),
                        _ => random.NextInt64(size + 1),
                    };
                    int length = random.Next(20) == 0 ? 0 : random.Next(1, 6000);
                    return new WriteFile(path, offset, length, random.Next(), FlushStream: random.Next(8) == 0);
                }

            case < 38:
                {
                    string path = Pick(files);
                    long size = Size(path);
                    return new Truncate(path, random.Next(2) == 0 ? random.NextInt64(size + 1) : size + random.Next(12_000));
                }

            case < 46:
                return new MakeDirectory(random.Next(4) > 0 ? NewPath() : AnyPath());
            case < 58:
                {
                    string source = random.Next(10) < 9 ? Pick(all) : AnyPath();
                    string destination = random.Next(20) switch
                    {
                        < 9 => NewPath(),
                        < 14 => Pick(all),
                        < 17 => source + "/" + Names[random.Next(Names.Length)],
                        _ => AnyPath(),
                    };
                    return new Move(source, destination, Overwrite: random.Next(5) < 3);
                }

            case < 64:
                return new HardLink(NewPath(), random.Next(10) == 0 ? Pick(directories) : Pick(files));
            case < 66:
                return new SymbolicLink(NewPath(), random.Next(2) == 0 ? Pick(all) : new string('t', random.Next(1, 200)));
            case < 67:
                {
                    var type = new[] { UnixFileType.CharacterDevice, UnixFileType.BlockDevice, UnixFileType.Fifo, UnixFileType.Socket }[random.Next(4)];
                    bool numbered = type is UnixFileType.CharacterDevice or UnixFileType.BlockDevice || random.Next(10) == 0;
                    return new MakeNode(random.Next(10) < 8 ? NewPath() : Pick(all), type, numbered ? (uint)random.Next(4096) : 0, numbered ? (uint)random.Next(1 << 20) : 0);
                }
            case < 73:
                return new DeleteFile(Pick(random.Next(5) == 0 ? all : files));
            case < 79:
                return new RemoveDirectory(Pick(random.Next(5) == 0 ? all : directories), Recursive: random.Next(5) == 0);
            case < 87:
                return new SetAttribute(
                    Pick(random.Next(3) == 0 ? directories : all),
                    XattrNames[random.Next(XattrNames.Length)],
                    random.Next(3) == 0 ? random.Next(100, 400) : random.Next(0, 40),
                    random.Next(),
                    random.Next(4) switch { 0 => XattrMode.Create, 1 => XattrMode.Replace, _ => XattrMode.CreateOrReplace });
            case < 91:
                return new RemoveAttribute(Pick(all), XattrNames[random.Next(XattrNames.Length)]);
            case < 95:
                return new ChangeInfo(
                    Pick(all),
                    random.Next(2) == 0 ? random.Next(0x1000) : null,
                    random.Next(4) == 0 ? (uint)random.Next(70_000) : null,
                    random.Next(4) == 0 ? (uint)random.Next(70_000) : null,
                    random.Next(3) == 0 ? random.NextInt64(1L << 52) : null,
                    random.Next(3) == 0 ? random.NextInt64(1L << 52) : null);
            case < 98:
                return new FlushAll();
            default:
                return new Reopen(new[] { 1, 3, 256 }[random.Next(3)], random.Next(2) == 0 ? 0 : 32 << 20);
        }
    }
}
