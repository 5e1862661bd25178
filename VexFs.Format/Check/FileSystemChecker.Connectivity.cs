using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Format.Check;

/// <summary>
/// Pass 3: every directory is reachable from the root, and its ".." names the directory that holds it.
/// Pass 4: every link count equals the links found; unattached inodes go to lost+found (a system inode is
/// attached to the vector table instead, by its one link).
/// </summary>
public sealed partial class FileSystemChecker
{
    private void CheckConnectivity()
    {
        Progress(3, 0, 1);
        CheckRoot();
        CheckLostAndFound();
        var reached = Reach(_sb.RootInode);
        var leftDetached = new HashSet<long>();
        foreach (long dir in _directories.Keys.Order().ToList())
        {
            if (reached.Contains(dir) || leftDetached.Contains(dir))
            {
                continue;
            }

            // Climb to the top of the unattached tree (or to where a cycle closes) and attach it there.
            long top = dir;
            var path = new HashSet<long> { top };
            while (_entryParent.TryGetValue(top, out long parent) && !reached.Contains(parent) && path.Add(parent))
            {
                top = parent;
            }

            if (_entryParent.TryGetValue(top, out long cycleParent) && !reached.Contains(cycleParent))
            {
                RemoveEntry(cycleParent, top);
                _entryParent.Remove(top);
            }

            // lost+found itself goes back under the root, as e2fsck does; anything else goes into lost+found.
            bool isLostAndFound = top == _sb.LostAndFoundInode;
            bool attached = Repair && (isLostAndFound
                ? LinkInto(_sb.RootInode, "lost+found", top, UnixFileType.Directory)
                : LinkInto(_sb.LostAndFoundInode, $"#{top}", top, UnixFileType.Directory));
            Found("connectivity", $"directory {top} is not reachable from the root{(attached ? isLostAndFound ? "; reattached to the root" : "; moved to lost+found" : string.Empty)}", attached);
            // A subtree is reported once, at its top, not again for each directory under it.
            (attached ? reached : leftDetached).UnionWith(Reach(top));
        }

        foreach (var (dir, info) in _directories)
        {
            long expected = dir == _sb.RootInode ? dir : _entryParent.GetValueOrDefault(dir);
            if (info.Readable && expected != 0 && info.HeaderParent != expected)
            {
                Found("directory", $"directory {dir} has '..' = {info.HeaderParent}, but it is held by {expected}; '..' corrected", Repair);
                if (Repair)
                {
                    SetDirectoryParent(dir, expected);
                }
            }
        }
    }

    /// <summary>Without a root directory nothing is reachable: make an empty one, as e2fsck does, for pass 3 to hang the tree on.</summary>
    private void CheckRoot()
    {
        if (_directories.TryGetValue(_sb.RootInode, out var existing) && existing.Readable)
        {
            return;
        }

        bool recreated = Repair && MakeDirectory(_sb.RootInode, _sb.RootInode, Convert.ToInt32("755", 8));
        Found("connectivity", $"the root directory (inode {_sb.RootInode}) is missing or unreadable{(recreated ? "; a new, empty root was made" : string.Empty)}", recreated);
    }

    /// <summary>Without lost+found nothing can be reconnected: make an empty one under the root, as e2fsck does.</summary>
    private void CheckLostAndFound()
    {
        long number = _sb.LostAndFoundInode;
        if (_directories.TryGetValue(number, out var existing) && existing.Readable)
        {
            return;
        }

        if (number == 0 && _directories.TryGetValue(_sb.RootInode, out var root)
            && root.Entries.Find(e => e.Name == "lost+found" && e.Type == UnixFileType.Directory) is { Name: not null } named
            && _directories.TryGetValue(named.Inode, out var adopted) && adopted.Readable)
        {
            Found("connectivity", $"the superblock names no lost+found; the root's lost+found (inode {named.Inode}) is named again", Repair);
            _sb = Repair ? _sb with { LostAndFoundInode = named.Inode } : _sb;
            _report.Modified |= Repair;
            return;
        }

        if (number == 0)
        {
            // The superblock names none and the root holds none: the lowest inode not in use takes it.
            number = Enumerable.Range(_sb.FirstInode, (int)Math.Min(_sb.InodeCount - _sb.FirstInode + 1, int.MaxValue - _sb.FirstInode))
                .Select(n => (long)n).FirstOrDefault(n => !_inodes.ContainsKey(n) && n != _sb.RootInode);
            if (number == 0)
            {
                Found("connectivity", "the superblock names no lost+found and no inode is free for one");
                return;
            }
        }

        bool recreated = Repair && MakeDirectory(number, _sb.RootInode, Convert.ToInt32("700", 8)) && LinkInto(_sb.RootInode, "lost+found", number, UnixFileType.Directory);
        if (recreated)
        {
            _sb = _sb with { LostAndFoundInode = number };
        }

        Found("connectivity", $"lost+found (inode {number}) is missing or unreadable{(recreated ? "; a new, empty one was made under the root" : string.Empty)}", recreated);
    }

    /// <summary>Makes inode <paramref name="number"/> a new, empty directory (replacing whatever it held) on two free blocks.</summary>
    private bool MakeDirectory(long number, long parent, int permissions)
    {
        if (_inodes.ContainsKey(number))
        {
            ClearInode(number);
        }

        long first = -1;
        for (long b = 0; b + 1 < _sb.BlockCount && first < 0; b++)
        {
            first = !_claims.IsClaimed(b) && !_claims.IsClaimed(b + 1) ? b : -1;
        }

        if (first < 0)
        {
            return false;
        }

        _claims.Claim(first);
        _claims.Claim(first + 1);
        var index = new byte[_sb.BlockSize];
        new DirectoryIndex { IsRoot = true, Owner = number, Parent = parent, Entries = [new IndexEntry(0, 1)] }.Write(index, first, _sb.ChecksumSeed);
        WriteBlock(first, index);
        WriteLeaf(first + 1, number, []);

        var extents = new List<Extent> { new(0, first, 2) };
        var rootArea = new byte[Inode.RootSize];
        new ExtentNode { Owner = number, Extents = [.. extents] }.WriteRoot(rootArea);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var inode = Inode.New(number, UnixModes.Make(UnixFileType.Directory, permissions), 2, now) with { Size = 2L * _sb.BlockSize, Blocks = 2, Root = rootArea };
        WriteInode(number, inode);
        _inodes[number] = new InodeInfo(number, inode, extents, []);
        _directories[number] = new DirectoryInfo { HeaderParent = parent, Readable = true };
        return true;
    }

    private HashSet<long> Reach(long start)
    {
        var reached = new HashSet<long> { start };
        var queue = new Queue<long>([start]);
        while (queue.Count > 0)
        {
            if (!_directories.TryGetValue(queue.Dequeue(), out var info))
            {
                continue;
            }

            foreach (var (_, inode, type) in info.Entries)
            {
                if (type == UnixFileType.Directory && reached.Add(inode))
                {
                    queue.Enqueue(inode);
                }
            }
        }

        return reached;
    }

    private void CheckLinkCounts()
    {
        Progress(4, 0, 1);
        var links = new Dictionary<long, int>();
        foreach (var (dir, info) in _directories)
        {
            links[dir] = links.GetValueOrDefault(dir) + 1;
            foreach (var (_, inode, type) in info.Entries)
            {
                links[inode] = links.GetValueOrDefault(inode) + 1;
                if (type == UnixFileType.Directory)
                {
                    links[dir]++;
                }
            }
        }

        links[_sb.RootInode] = links.GetValueOrDefault(_sb.RootInode) + 1;
        foreach (var info in _inodes.Values.OrderBy(i => i.Number).ToList())
        {
            if (info.Inode.Flags.HasFlag(InodeFlags.System))
            {
                CheckSystemLinkCount(info);
                continue;
            }

            int counted = links.GetValueOrDefault(info.Number);
            if (counted == 0 && info.Type != UnixFileType.Directory)
            {
                if (info.Inode.Flags.HasFlag(InodeFlags.Orphan))
                {
                    continue;
                }

                if (info.Inode.Size == 0 && info.Inode.XattrBlock == 0)
                {
                    if (Repair)
                    {
                        ClearInode(info.Number);
                    }

                    Found("links", $"inode {info.Number} is in use but linked nowhere and empty; inode cleared", Repair);
                    continue;
                }

                bool attached = Repair && LinkInto(_sb.LostAndFoundInode, $"#{info.Number}", info.Number, info.Type);
                Found("links", $"inode {info.Number} is in use but linked nowhere{(attached ? "; moved to lost+found" : string.Empty)}", attached);
                counted = attached ? 1 : 0;
                if (!attached)
                {
                    continue;
                }
            }

            if (counted != info.Inode.LinkCount && counted > 0)
            {
                Found("links", $"inode {info.Number} has link count {info.Inode.LinkCount}, but {counted} links were found; count corrected", Repair);
                if (Repair)
                {
                    info.Inode = info.Inode with { LinkCount = counted };
                    WriteInode(info.Number, info.Inode);
                }
            }
        }
    }

    /// <summary>A system inode is in no directory: its one link is the vector table's.</summary>
    private void CheckSystemLinkCount(InodeInfo info)
    {
        if (info.Inode.LinkCount != 1)
        {
            Found("links", $"system inode {info.Number} has link count {info.Inode.LinkCount}, but the vector table holds its one link; count corrected", Repair);
            if (Repair)
            {
                info.Inode = info.Inode with { LinkCount = 1 };
                WriteInode(info.Number, info.Inode);
            }
        }
    }

    /// <summary>Adds the entry <paramref name="name"/> for <paramref name="inode"/> to directory <paramref name="parent"/>, when its leaf has room.</summary>
    private bool LinkInto(long parent, string name, long inode, UnixFileType type)
    {
        if (!_inodes.TryGetValue(parent, out var dir) || !_directories.TryGetValue(parent, out var info) || !info.Readable || parent == inode)
        {
            return false;
        }

        var entry = new DirectoryEntry(name, inode, type, DirectoryHash.Of(name, _sb.HashSeed));
        var root = DirectoryIndex.Read(ReadBlock(PhysicalOf(dir, 0)), PhysicalOf(dir, 0), root: true, parent, _sb.ChecksumSeed, dir.Inode.Size / _sb.BlockSize, _sb.InodeCount);
        if (root.Depth != 0)
        {
            return false;
        }

        long block = PhysicalOf(dir, root.Entries[root.Find(entry.Hash)].FileBlock);
        var entries = DirectoryLeaf.Read(ReadBlock(block), block, parent, _sb.ChecksumSeed, _sb.HashSeed, _sb.InodeCount);
        if (entries.Any(e => e.Name == name) || entries.Sum(e => e.EncodedSize) + entry.EncodedSize > DirectoryLeaf.Capacity(_sb.BlockSize))
        {
            return false;
        }

        entries.Add(entry);
        entries.Sort(DirectoryEntry.Compare);
        WriteLeaf(block, parent, entries);
        info.Entries.Add((name, inode, type));
        if (type == UnixFileType.Directory)
        {
            _entryParent[inode] = parent;
            SetDirectoryParent(inode, parent);
            if (_directories.TryGetValue(inode, out var moved))
            {
                moved.HeaderParent = parent;
            }
        }

        return true;
    }

    private void RemoveEntry(long dir, long target)
    {
        if (!Repair || !_inodes.TryGetValue(dir, out var info) || !_directories.TryGetValue(dir, out var entries))
        {
            return;
        }

        entries.Entries.RemoveAll(e => e.Inode == target);
        foreach (var (fileBlock, leaf) in ReadLeaves(info))
        {
            if (leaf.RemoveAll(e => e.Inode == target) > 0)
            {
                WriteLeaf(PhysicalOf(info, fileBlock), dir, leaf);
            }
        }
    }

    private void SetDirectoryParent(long dir, long parent)
    {
        if (!_inodes.TryGetValue(dir, out var info))
        {
            return;
        }

        long block = PhysicalOf(info, 0);
        var root = DirectoryIndex.Read(ReadBlock(block), block, root: true, dir, _sb.ChecksumSeed, info.Inode.Size / _sb.BlockSize, _sb.InodeCount);
        var buffer = new byte[_sb.BlockSize];
        new DirectoryIndex { IsRoot = true, Depth = root.Depth, Owner = dir, Parent = parent, Entries = root.Entries }.Write(buffer, block, _sb.ChecksumSeed);
        WriteBlock(block, buffer);
        if (_directories.TryGetValue(dir, out var directory))
        {
            directory.HeaderParent = parent;
        }
    }
}
