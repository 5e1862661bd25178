using VexFs.Format.Records;

namespace VexFs.Format.Check;

/// <summary>Pass 1: every inode in use, its extent tree, its attribute block and the blocks it claims.</summary>
public sealed partial class FileSystemChecker
{
    private void CheckInodes()
    {
        for (int g = 0; g < _sb.GroupCount; g++)
        {
            Progress(1, g, _sb.GroupCount);
            var d = _groups[g];
            int initialised = d.Flags.HasFlag(GroupFlags.InodeBitmapUninit) ? 0 : _sb.InodesPerGroup - d.UnusedInodes;
            if (_badDescriptors[g])
            {
                initialised = _sb.InodesPerGroup;
            }

            int blocks = (initialised + _geometry.InodesPerBlock - 1) / _geometry.InodesPerBlock;
            for (int b = 0; b < blocks; b++)
            {
                long tableBlock = d.InodeTable + b;
                var buffer = ReadBlock(tableBlock);
                bool rewrite = false;
                for (int slot = 0; slot < _geometry.InodesPerBlock; slot++)
                {
                    long number = ((long)g * _sb.InodesPerGroup) + ((long)b * _geometry.InodesPerBlock) + slot + 1;
                    rewrite |= CheckInode(number, buffer.AsSpan(slot * _sb.InodeSize, _sb.InodeSize), tableBlock);
                }

                if (rewrite && Repair)
                {
                    WriteBlock(tableBlock, buffer);
                }
            }
        }

        CheckOrphans();
    }

    /// <summary>Checks one inode slot, clearing or correcting it in place; returns whether the slot changed.</summary>
    private bool CheckInode(long number, Span<byte> bytes, long tableBlock)
    {
        var (inode, clear) = CheckSlot(number, bytes, tableBlock);
        if (clear)
        {
            bytes.Clear();
            return true;
        }

        if (inode is not null)
        {
            inode.WriteTo(bytes, number, _sb.InodeSize, _sb.ChecksumSeed);
            return true;
        }

        return false;
    }

    /// <summary>Returns whether the slot must be cleared, or a corrected inode to store, or neither.</summary>
    private (Inode? Corrected, bool Clear) CheckSlot(long number, ReadOnlySpan<byte> bytes, long tableBlock)
    {
        Inode inode;
        try
        {
            inode = Inode.ReadFrom(bytes, number, _sb.InodeSize, _sb.ChecksumSeed, tableBlock);
        }
        catch (InvalidFileSystemException e)
        {
            Found("inode", $"{e.Message}; inode cleared", Repair);
            return (null, true);
        }

        if (inode.IsFree)
        {
            return (null, false);
        }

        bool reserved = number < _sb.FirstInode && number != _sb.RootInode;
        if (reserved)
        {
            Found("inode", $"reserved inode {number} is in use; inode cleared", Repair);
            return (null, true);
        }

        if (number == _sb.RootInode && inode.Mode.Type() != UnixFileType.Directory)
        {
            // As e2fsck does: the inode is cleared, pass 3 makes a new root and reconnects the tree under it.
            Found("inode", $"the root inode {number} is a {inode.Mode.Type()}, not a directory; inode cleared", Repair);
            return (null, Repair);
        }

        var extents = new List<Extent>();
        var treeBlocks = new List<long>();
        try
        {
            CollectExtents(number, inode, extents, treeBlocks);
            if (inode.XattrBlock != 0)
            {
                Corruption.Check(inode.XattrBlock > 0 && inode.XattrBlock < _sb.BlockCount, tableBlock, $"inode {number}.xattr_block", $"block {inode.XattrBlock} is outside the filesystem");
                XattrBlock.Read(ReadBlock(inode.XattrBlock), inode.XattrBlock, number, _sb.ChecksumSeed);
                treeBlocks.Add(inode.XattrBlock);
            }

            XattrEntries.Read(inode.InlineXattrs, tableBlock, $"inode {number}.inline_xattrs");
            CheckShape(number, inode, extents, tableBlock);
        }
        catch (InvalidFileSystemException e)
        {
            Found("inode", $"inode {number}: {e.Message}; inode cleared", Repair);
            return (null, true);
        }

        var claimed = new List<long>();
        foreach (long block in treeBlocks.Concat(extents.SelectMany(Blocks)))
        {
            if (!_claims.Claim(block))
            {
                claimed.ForEach(_claims.Release);
                Found("inode", $"inode {number} claims block {block}, which is in use by other metadata or another inode; inode cleared", Repair);
                return (null, true);
            }

            claimed.Add(block);
        }

        long charged = treeBlocks.Count + extents.Sum(e => (long)e.Length);
        Inode? corrected = null;
        if (charged != inode.Blocks)
        {
            Found("inode", $"inode {number} is charged {inode.Blocks} blocks but holds {charged}", Repair);
            inode = inode with { Blocks = charged };
            corrected = Repair ? inode : null;
        }

        _inodes[number] = new InodeInfo(number, inode, extents, treeBlocks);
        return (corrected, false);
    }

    private static IEnumerable<long> Blocks(Extent extent)
    {
        for (long b = extent.Physical; b < extent.Physical + extent.Length; b++)
        {
            yield return b;
        }
    }

    private void CollectExtents(long number, Inode inode, List<Extent> extents, List<long> treeBlocks)
    {
        if (inode.Flags.HasFlag(InodeFlags.InlineSymlink))
        {
            Corruption.Check(inode.Mode.Type() == UnixFileType.SymbolicLink && inode.Size is > 0 and <= Inode.RootSize, number, $"inode {number}.size", "an inline symbolic link must be 1 to 112 bytes");
            return;
        }

        var type = inode.Mode.Type();
        if (type.IsSpecial())
        {
            // A device number (devices only), then zeros; no data.
            int numbered = type.IsDevice() ? 8 : 0;
            Corruption.Check(!inode.Root.AsSpan(numbered).ContainsAnyExcept((byte)0), number, $"inode {number}.device", $"the root area of a {type} holds bytes past its device number");
            Corruption.Check(inode.Size == 0, number, $"inode {number}.size", $"a {type} holds no data, but its size is {inode.Size}");
            return;
        }

        var root = ExtentNode.ReadRoot(inode.Root, number, _sb.BlockCount, number);
        Walk(root, number, extents, treeBlocks, 0, long.MaxValue);
    }

    private void Walk(ExtentNode node, long owner, List<Extent> extents, List<long> treeBlocks, long low, long high)
    {
        if (node.IsLeaf)
        {
            foreach (var extent in node.Extents)
            {
                Corruption.Check(extent.Logical >= low && extent.LogicalEnd <= high, owner, $"inode {owner}.extents", $"extent at file block {extent.Logical} lies outside its index range");
                extents.Add(extent);
            }

            return;
        }

        for (int i = 0; i < node.Children.Count; i++)
        {
            long child = node.Children[i].Child;
            long childLow = node.Children[i].Logical;
            long childHigh = i + 1 < node.Children.Count ? node.Children[i + 1].Logical : high;
            Corruption.Check(childLow >= low, owner, $"inode {owner}.extents", $"index entry {childLow} precedes its parent's range");
            Corruption.Check(!treeBlocks.Contains(child), owner, $"inode {owner}.extents", $"extent tree block {child} appears twice");
            treeBlocks.Add(child);
            var sub = ExtentNode.ReadBlock(ReadBlock(child), child, owner, _sb.BlockCount, _sb.ChecksumSeed);
            Corruption.Check(sub.Depth == node.Depth - 1, child, "extent node.depth", $"{sub.Depth} under a node of depth {node.Depth}");
            Walk(sub, owner, extents, treeBlocks, childLow, childHigh);
        }
    }

    private void CheckShape(long number, Inode inode, List<Extent> extents, long tableBlock)
    {
        var type = inode.Mode.Type();
        if (type == UnixFileType.Directory)
        {
            Corruption.Check(inode.Size > 0 && inode.Size % _sb.BlockSize == 0, tableBlock, $"inode {number}.size", $"a directory's size must be a positive multiple of the block size, not {inode.Size}");
            long fileBlocks = inode.Size / _sb.BlockSize;
            Corruption.Check(extents.Sum(e => (long)e.Length) == fileBlocks && extents.All(e => !e.Unwritten && e.LogicalEnd <= fileBlocks), tableBlock, $"inode {number}.extents", "a directory's blocks must all be mapped and written");
        }
        else if (type == UnixFileType.SymbolicLink && !inode.Flags.HasFlag(InodeFlags.InlineSymlink))
        {
            Corruption.Check(inode.Size is > 0 and <= Inode.MaxSymlinkBytes, tableBlock, $"inode {number}.size", $"a symbolic link target is 1 to {Inode.MaxSymlinkBytes} bytes, not {inode.Size}");
        }

        bool system = inode.Flags.HasFlag(InodeFlags.System);
        Corruption.Check(!system || type == UnixFileType.RegularFile, tableBlock, $"inode {number}.mode", $"a system inode must be a regular file, not a {type}");

        // A system inode's one link is the vector table's: pass 4 corrects its count, whatever it says.
        Corruption.Check(inode.LinkCount > 0 || system || inode.Flags.HasFlag(InodeFlags.Orphan), tableBlock, $"inode {number}.links", "an inode in use with no links must be an orphan");
    }

    /// <summary>
    /// The orphan list: files unlinked while open. Under repair they are released as the library's open after
    /// a crash releases them: a recovery step like the journal's replay, not a finding, so pass 5 counts
    /// their blocks and inodes as freed by recovery. A list that cannot be followed is a finding.
    /// </summary>
    private void CheckOrphans()
    {
        long next = _sb.OrphanHead;
        var seen = new HashSet<long>();
        while (next != 0)
        {
            if (!seen.Add(next) || !_inodes.TryGetValue(next, out var info) || !info.Inode.Flags.HasFlag(InodeFlags.Orphan))
            {
                Found("orphans", $"the orphan list is broken at inode {next}", Repair);
                break;
            }

            next = info.Inode.NextOrphan;
            if (!Repair)
            {
                continue;
            }

            if (info.Inode.LinkCount == 0)
            {
                _released.Add(info);
                ClearInode(info.Number);
            }
            else
            {
                info.Inode = info.Inode with { Flags = info.Inode.Flags & ~InodeFlags.Orphan, NextOrphan = 0 };
                WriteInode(info.Number, info.Inode);
            }

            _report.OrphansReleased++;
        }

        if (_sb.OrphanHead != 0 && Repair)
        {
            _sb = _sb with { OrphanHead = 0 };
            _superblockRepaired = true;
        }

        // An inode marked as an orphan that the list does not reach would be taken off a list it is not on
        // (the library refuses that): it is unmarked, and pass 4 decides where it belongs from the links it has
        // (corrected count, lost+found, or cleared when empty), so that no data is dropped on a guess.
        foreach (var info in _inodes.Values.Where(i => i.Inode.Flags.HasFlag(InodeFlags.Orphan) && !seen.Contains(i.Number)).OrderBy(i => i.Number).ToList())
        {
            Found("orphans", $"inode {info.Number} is marked as an orphan but is not on the orphan list; unmarked", Repair);
            if (Repair)
            {
                info.Inode = info.Inode with { Flags = info.Inode.Flags & ~InodeFlags.Orphan, NextOrphan = 0 };
                WriteInode(info.Number, info.Inode);
            }
        }
    }
}
