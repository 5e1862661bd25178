using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Format.Check;

/// <summary>Pass 2: every directory's hash index and entries, against the inodes found in pass 1.</summary>
public sealed partial class FileSystemChecker
{
    private readonly Dictionary<long, long> _entryParent = [];

    private void CheckDirectories()
    {
        var directories = _inodes.Values.Where(i => i.Type == UnixFileType.Directory).Select(i => i.Number).Order().ToList();
        for (int n = 0; n < directories.Count; n++)
        {
            Progress(2, n, directories.Count);
            CheckDirectory(_inodes[directories[n]]);
        }
    }

    private void CheckDirectory(InodeInfo dir)
    {
        var info = new DirectoryInfo();
        _directories[dir.Number] = info;
        long fileBlocks = dir.Inode.Size / _sb.BlockSize;
        var leaves = new List<(long FileBlock, List<DirectoryEntry> Entries)>();
        try
        {
            var root = DirectoryIndex.Read(ReadBlock(PhysicalOf(dir, 0)), PhysicalOf(dir, 0), root: true, dir.Number, _sb.ChecksumSeed, fileBlocks, _sb.InodeCount);
            info.HeaderParent = root.Parent;
            var visited = new HashSet<long> { 0 };
            ReadIndex(dir, root, 0, ulong.MaxValue, visited, leaves, fileBlocks);
            long unreachable = Enumerable.Range(1, (int)Math.Min(fileBlocks - 1, int.MaxValue - 1)).Count(b => !visited.Contains(b));
            Corruption.Check(unreachable == 0, PhysicalOf(dir, 0), $"directory {dir.Number}.index", $"{unreachable} of its blocks are not reachable from its index");
        }
        catch (InvalidFileSystemException e)
        {
            bool rebuilt = Repair && RebuildDirectory(dir, info);
            Found("directory", $"directory {dir.Number}: {e.Message}{(rebuilt ? "; index rebuilt from its leaves" : string.Empty)}", rebuilt);
            if (!rebuilt)
            {
                return;
            }

            leaves = ReadLeaves(dir);
        }

        info.Readable = true;
        foreach (var (fileBlock, entries) in leaves)
        {
            var kept = new List<DirectoryEntry>(entries.Count);
            bool changed = false;
            foreach (var entry in entries)
            {
                var fixedEntry = CheckEntry(dir.Number, entry);
                changed |= fixedEntry != entry;
                if (fixedEntry is { } e)
                {
                    kept.Add(e);
                    info.Entries.Add((e.Name, e.Inode, e.Type));
                }
            }

            if (changed && Repair)
            {
                long block = PhysicalOf(dir, fileBlock);
                WriteLeaf(block, dir.Number, kept);
            }
        }
    }

    /// <summary>Checks one entry; returns it (perhaps with its type corrected), or null to remove it.</summary>
    private DirectoryEntry? CheckEntry(long dir, DirectoryEntry entry)
    {
        string where = $"directory {dir}, entry '{entry.Name}'";
        if (!_inodes.TryGetValue(entry.Inode, out var target))
        {
            Found("directory", $"{where} points to inode {entry.Inode}, which is not in use; entry removed", Repair);
            return null;
        }

        if (target.Inode.Flags.HasFlag(InodeFlags.System))
        {
            Found("directory", $"{where} links to system inode {entry.Inode}, which belongs in no directory; entry removed", Repair);
            return null;
        }

        if (entry.Inode == _sb.RootInode || entry.Inode == dir)
        {
            Found("directory", $"{where} links to {(entry.Inode == dir ? "the directory itself" : "the root")}; entry removed", Repair);
            return null;
        }

        if (target.Type == UnixFileType.Directory)
        {
            if (!_entryParent.TryAdd(entry.Inode, dir))
            {
                Found("directory", $"{where} is a second link to directory {entry.Inode} (also in {_entryParent[entry.Inode]}); entry removed", Repair);
                return null;
            }
        }

        if (target.Type != entry.Type)
        {
            Found("directory", $"{where} says {entry.Type} but inode {entry.Inode} is a {target.Type}; type corrected", Repair);
            return entry with { Type = target.Type };
        }

        return entry;
    }

    private void ReadIndex(InodeInfo dir, DirectoryIndex index, ulong low, ulong high, HashSet<long> visited, List<(long, List<DirectoryEntry>)> leaves, long fileBlocks)
    {
        for (int i = 0; i < index.Entries.Count; i++)
        {
            var entry = index.Entries[i];
            ulong from = Math.Max(entry.Hash, low);
            ulong to = i + 1 < index.Entries.Count ? index.Entries[i + 1].Hash - 1 : high;
            long block = PhysicalOf(dir, entry.FileBlock);
            Corruption.Check(visited.Add(entry.FileBlock), block, $"directory {dir.Number}.index", $"directory block {entry.FileBlock} is reached twice");
            if (index.Depth > 0)
            {
                var node = DirectoryIndex.Read(ReadBlock(block), block, root: false, dir.Number, _sb.ChecksumSeed, fileBlocks, _sb.InodeCount);
                Corruption.Check(node.Depth == index.Depth - 1, block, "directory index.depth", $"{node.Depth} under an index of depth {index.Depth}");
                ReadIndex(dir, node, from, to, visited, leaves, fileBlocks);
                continue;
            }

            var entries = DirectoryLeaf.Read(ReadBlock(block), block, dir.Number, _sb.ChecksumSeed, _sb.HashSeed, _sb.InodeCount);
            var stray = entries.FirstOrDefault(e => e.Hash < from || e.Hash > to);
            Corruption.Check(stray.Name is null, block, "directory leaf.hash", $"'{stray.Name}' lies outside the hash range its index gives this leaf");
            leaves.Add((entry.FileBlock, entries));
        }
    }

    private static long PhysicalOf(InodeInfo file, long fileBlock)
    {
        foreach (var extent in file.Extents)
        {
            if (fileBlock >= extent.Logical && fileBlock < extent.LogicalEnd)
            {
                return extent.Physical + (fileBlock - extent.Logical);
            }
        }

        throw new InvalidFileSystemException(file.Number, $"inode {file.Number}.extents", $"file block {fileBlock} is not mapped");
    }

    /// <summary>Salvages the entries of every readable leaf and writes a fresh index over the same blocks.</summary>
    private bool RebuildDirectory(InodeInfo dir, DirectoryInfo info)
    {
        long fileBlocks = dir.Inode.Size / _sb.BlockSize;
        var salvaged = new SortedSet<DirectoryEntry>(Comparer<DirectoryEntry>.Create(DirectoryEntry.Compare));
        for (long fb = 1; fb < fileBlocks; fb++)
        {
            long block = PhysicalOf(dir, fb);
            try
            {
                salvaged.UnionWith(DirectoryLeaf.Read(ReadBlock(block), block, dir.Number, _sb.ChecksumSeed, _sb.HashSeed, _sb.InodeCount));
            }
            catch (InvalidFileSystemException)
            {
                // An unreadable leaf loses its entries; the inodes they named end up in lost+found.
            }
        }

        var groups = PackLeaves(salvaged.ToList(), DirectoryLeaf.Capacity(_sb.BlockSize));
        long spares = fileBlocks - 1 - Math.Max(1, groups.Count);
        ulong above = salvaged.Count == 0 ? 0 : salvaged.Max!.Hash;
        if (groups.Count > fileBlocks - 1 || fileBlocks - 1 > DirectoryIndex.Capacity(_sb.BlockSize) || above > ulong.MaxValue - (ulong)spares)
        {
            return false;
        }

        long parent = info.HeaderParent != 0 ? info.HeaderParent : _sb.RootInode;
        info.HeaderParent = parent;
        var index = new DirectoryIndex { IsRoot = true, Owner = dir.Number, Parent = parent };
        for (int i = 0; i < Math.Max(1, groups.Count); i++)
        {
            var entries = i < groups.Count ? groups[i] : [];
            index.Entries.Add(new IndexEntry(i == 0 ? 0 : entries[0].Hash, i + 1));
            WriteLeaf(PhysicalOf(dir, i + 1), dir.Number, entries);
        }

        // Spare blocks become empty leaves for hashes above every name's, so that nothing is stranded.
        for (long fb = Math.Max(1, groups.Count) + 1; fb < fileBlocks; fb++)
        {
            index.Entries.Add(new IndexEntry(++above, fb));
            WriteLeaf(PhysicalOf(dir, fb), dir.Number, []);
        }

        var buffer = new byte[_sb.BlockSize];
        index.Write(buffer, PhysicalOf(dir, 0), _sb.ChecksumSeed);
        WriteBlock(PhysicalOf(dir, 0), buffer);
        return true;
    }

    /// <summary>Packs sorted entries into leaves, never splitting a run of equal hashes between two leaves.</summary>
    private static List<List<DirectoryEntry>> PackLeaves(List<DirectoryEntry> sorted, int capacity)
    {
        var leaves = new List<List<DirectoryEntry>>();
        var current = new List<DirectoryEntry>();
        int used = 0;
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            int runBytes = 0;
            while (j < sorted.Count && sorted[j].Hash == sorted[i].Hash)
            {
                runBytes += sorted[j].EncodedSize;
                j++;
            }

            if (used + runBytes > capacity && current.Count > 0)
            {
                leaves.Add(current);
                current = [];
                used = 0;
            }

            current.AddRange(sorted.Skip(i).Take(j - i));
            used += runBytes;
            i = j;
        }

        if (current.Count > 0)
        {
            leaves.Add(current);
        }

        return leaves;
    }

    private List<(long FileBlock, List<DirectoryEntry> Entries)> ReadLeaves(InodeInfo dir)
    {
        long fileBlocks = dir.Inode.Size / _sb.BlockSize;
        var leaves = new List<(long, List<DirectoryEntry>)>();
        for (long fb = 1; fb < fileBlocks; fb++)
        {
            long block = PhysicalOf(dir, fb);
            leaves.Add((fb, DirectoryLeaf.Read(ReadBlock(block), block, dir.Number, _sb.ChecksumSeed, _sb.HashSeed, _sb.InodeCount)));
        }

        return leaves;
    }

    private void WriteLeaf(long block, long owner, IReadOnlyList<DirectoryEntry> entries)
    {
        var buffer = new byte[_sb.BlockSize];
        DirectoryLeaf.Write(buffer, block, owner, entries, _sb.ChecksumSeed);
        WriteBlock(block, buffer);
    }
}
