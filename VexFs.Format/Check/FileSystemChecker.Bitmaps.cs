using VexFs.Format.Records;

namespace VexFs.Format.Check;

/// <summary>
/// Pass 5: bitmaps, group counts and superblock counts against what the other passes found in use. What the
/// release of orphans freed (see <see cref="CheckOrphans"/>) is recovery: a bitmap or count that differs only
/// by it is rewritten without a finding.
/// </summary>
public sealed partial class FileSystemChecker
{
    private void CheckBitmapsAndCounts()
    {
        long freeBlocks = 0;
        long freeInodes = 0;
        long releasedBlocks = 0;
        long releasedInodes = 0;
        bool descriptorsChanged = false;
        var expected = new byte[_sb.BlockSize];
        for (int g = 0; g < _sb.GroupCount; g++)
        {
            Progress(5, g, _sb.GroupCount);
            var d = _groups[g];
            int blocksInGroup = _geometry.BlocksInGroup(g);

            _claims.GroupBitmap(g, blocksInGroup, expected);
            int usedBlocks = Bitmap.CountSet(expected, blocksInGroup);
            var blockBitmap = OnDiskBitmap(d, g, blocks: true);
            var released = ReleasedInGroup(g);
            bool blockBitmapWrong = !blockBitmap.AsSpan().SequenceEqual(expected);
            if (blockBitmapWrong && !blockBitmap.AsSpan().SequenceEqual(WithReleased(expected, released.Blocks, _geometry.GroupStart(g))))
            {
                Found("bitmap", $"group {g}: the block bitmap differs from the blocks in use ({Differences(blockBitmap, expected, blocksInGroup)})", Repair);
            }

            uint blockChecksum = Bitmap.Checksum(expected, g, _sb.ChecksumSeed);
            if (Repair && (blockBitmapWrong || d.Flags.HasFlag(GroupFlags.BlockBitmapUninit) != IsUninitBlocks(g, expected)))
            {
                WriteBlock(d.BlockBitmap, expected);
            }

            var inodeExpected = ExpectedInodeBitmap(g);
            int usedInodes = Bitmap.CountSet(inodeExpected, _sb.InodesPerGroup);
            var inodeBitmap = OnDiskBitmap(d, g, blocks: false);
            bool inodeBitmapWrong = !inodeBitmap.AsSpan().SequenceEqual(inodeExpected);
            if (inodeBitmapWrong && !inodeBitmap.AsSpan().SequenceEqual(WithReleased(inodeExpected, released.Inodes, ((long)g * _sb.InodesPerGroup) + 1)))
            {
                Found("bitmap", $"group {g}: the inode bitmap differs from the inodes in use ({Differences(inodeBitmap, inodeExpected, _sb.InodesPerGroup)})", Repair);
            }

            uint inodeChecksum = Bitmap.Checksum(inodeExpected, g, _sb.ChecksumSeed);
            bool wasUninitInodes = d.Flags.HasFlag(GroupFlags.InodeBitmapUninit);
            if (Repair && (inodeBitmapWrong || (wasUninitInodes && usedInodes > 0)))
            {
                WriteBlock(d.InodeBitmap, inodeExpected);
            }

            int highest = HighestUsedInodeIndex(g);
            int unused = wasUninitInodes && usedInodes == 0 ? _sb.InodesPerGroup : Math.Min(d.UnusedInodes, _sb.InodesPerGroup - highest - 1);
            int directories = _inodes.Values.Count(i => i.Type == UnixFileType.Directory && _geometry.LocateInode(i.Number).Group == g);
            var flags = (usedBlocks == _geometry.SuperblockAreaBlocks(g) + 2 + _geometry.InodeTableBlocks && d.Flags.HasFlag(GroupFlags.BlockBitmapUninit) ? GroupFlags.BlockBitmapUninit : GroupFlags.None)
                | (wasUninitInodes && usedInodes == 0 ? GroupFlags.InodeBitmapUninit : GroupFlags.None);
            var correct = d with
            {
                FreeBlocks = blocksInGroup - usedBlocks,
                FreeInodes = _sb.InodesPerGroup - usedInodes,
                Directories = directories,
                UnusedInodes = unused,
                Flags = flags,
                BlockBitmapChecksum = flags.HasFlag(GroupFlags.BlockBitmapUninit) ? 0 : blockChecksum,
                InodeBitmapChecksum = flags.HasFlag(GroupFlags.InodeBitmapUninit) ? 0 : inodeChecksum,
            };
            var asFound = correct with
            {
                FreeBlocks = correct.FreeBlocks - released.Blocks.Count,
                FreeInodes = correct.FreeInodes - released.Inodes.Count,
                Directories = correct.Directories + released.Directories,
                BlockBitmapChecksum = released.Blocks.Count == 0 ? correct.BlockBitmapChecksum : Bitmap.Checksum(WithReleased(expected, released.Blocks, _geometry.GroupStart(g)), g, _sb.ChecksumSeed),
                InodeBitmapChecksum = released.Inodes.Count == 0 ? correct.InodeBitmapChecksum : Bitmap.Checksum(WithReleased(inodeExpected, released.Inodes, ((long)g * _sb.InodesPerGroup) + 1), g, _sb.ChecksumSeed),
            };
            releasedBlocks += released.Blocks.Count;
            releasedInodes += released.Inodes.Count;
            if (correct != d)
            {
                if (!_badDescriptors[g] && !blockBitmapWrong && !inodeBitmapWrong && d != asFound)
                {
                    Found("group", $"group {g}: the descriptor's counts or checksums are wrong (free blocks {d.FreeBlocks}, should be {correct.FreeBlocks}; free inodes {d.FreeInodes}, should be {correct.FreeInodes}; directories {d.Directories}, should be {correct.Directories})", Repair);
                }

                _groups[g] = correct;
                descriptorsChanged = true;
            }

            freeBlocks += correct.FreeBlocks;
            freeInodes += correct.FreeInodes;
        }

        bool superblockWrong = freeBlocks != _sb.FreeBlocks || freeInodes != _sb.FreeInodes;
        if (superblockWrong && (freeBlocks - releasedBlocks != _sb.FreeBlocks || freeInodes - releasedInodes != _sb.FreeInodes))
        {
            Found("superblock", $"free counts are {_sb.FreeBlocks} blocks and {_sb.FreeInodes} inodes; they should be {freeBlocks} and {freeInodes}", Repair);
        }

        if (Repair && (descriptorsChanged || superblockWrong || _descriptorsRepaired || _superblockRepaired || _report.Modified))
        {
            _sb = _sb with
            {
                FreeBlocks = freeBlocks,
                FreeInodes = freeInodes,
                State = _report.Findings.Any(f => !f.Fixed) ? FileSystemState.Errors : FileSystemState.Clean,
                CheckedNs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
                MountCount = 0,
            };
            WriteDescriptorsAndSuperblocks();
        }
    }

    /// <summary>The blocks, inodes and directories of group <paramref name="g"/> that the release of orphans freed.</summary>
    private (List<long> Blocks, List<long> Inodes, int Directories) ReleasedInGroup(int g)
    {
        var blocks = new List<long>();
        var inodes = new List<long>();
        int directories = 0;
        foreach (var info in _released)
        {
            blocks.AddRange(info.TreeBlocks.Concat(info.Extents.SelectMany(Blocks)).Where(b => _geometry.GroupOfBlock(b) == g && !_claims.IsClaimed(b)));
            if (_geometry.LocateInode(info.Number).Group == g)
            {
                inodes.Add(info.Number);
                directories += info.Type == UnixFileType.Directory ? 1 : 0;
            }
        }

        return (blocks, inodes, directories);
    }

    /// <summary>A copy of <paramref name="bitmap"/> with the released <paramref name="items"/> set again; the bitmap's first bit stands for <paramref name="first"/>.</summary>
    private static byte[] WithReleased(byte[] bitmap, List<long> items, long first)
    {
        var copy = (byte[])bitmap.Clone();
        foreach (long item in items)
        {
            Bitmap.Set(copy, (int)(item - first));
        }

        return copy;
    }

    private bool IsUninitBlocks(int g, byte[] bitmap) =>
        Bitmap.CountSet(bitmap, _geometry.BlocksInGroup(g)) == _geometry.SuperblockAreaBlocks(g) + 2 + _geometry.InodeTableBlocks;

    private byte[] OnDiskBitmap(GroupDescriptor d, int g, bool blocks)
    {
        var bitmap = new byte[_sb.BlockSize];
        bool uninit = d.Flags.HasFlag(blocks ? GroupFlags.BlockBitmapUninit : GroupFlags.InodeBitmapUninit) && !_badDescriptors[g];
        if (!uninit)
        {
            _device.Read((blocks ? d.BlockBitmap : d.InodeBitmap) * _sb.BlockSize, bitmap);
            uint stored = blocks ? d.BlockBitmapChecksum : d.InodeBitmapChecksum;
            if (!_badDescriptors[g] && Bitmap.Checksum(bitmap, g, _sb.ChecksumSeed) != stored)
            {
                Found("bitmap", $"group {g}: the {(blocks ? "block" : "inode")} bitmap's checksum does not match its descriptor", Repair);
            }

            return bitmap;
        }

        // An uninitialised bitmap stands for: only the group's own metadata in use (blocks), nothing (inodes).
        int items = blocks ? _geometry.BlocksInGroup(g) : _sb.InodesPerGroup;
        if (blocks)
        {
            long start = _geometry.GroupStart(g);
            Bitmap.SetRange(bitmap, 0, _geometry.SuperblockAreaBlocks(g));
            Bitmap.Set(bitmap, (int)(d.BlockBitmap - start));
            Bitmap.Set(bitmap, (int)(d.InodeBitmap - start));
            Bitmap.SetRange(bitmap, (int)(d.InodeTable - start), _geometry.InodeTableBlocks);
        }

        Bitmap.SetRange(bitmap, items, (bitmap.Length * 8) - items);
        return bitmap;
    }

    private byte[] ExpectedInodeBitmap(int g)
    {
        var bitmap = new byte[_sb.BlockSize];
        long first = ((long)g * _sb.InodesPerGroup) + 1;
        for (int i = 0; i < _sb.InodesPerGroup; i++)
        {
            long number = first + i;
            if (number < _sb.FirstInode || _inodes.ContainsKey(number))
            {
                Bitmap.Set(bitmap, i);
            }
        }

        Bitmap.SetRange(bitmap, _sb.InodesPerGroup, (bitmap.Length * 8) - _sb.InodesPerGroup);
        return bitmap;
    }

    private int HighestUsedInodeIndex(int g)
    {
        long first = ((long)g * _sb.InodesPerGroup) + 1;
        int highest = g == 0 ? _sb.FirstInode - 2 : -1;
        foreach (long number in _inodes.Keys)
        {
            if (number >= first && number < first + _sb.InodesPerGroup)
            {
                highest = Math.Max(highest, (int)(number - first));
            }
        }

        return highest;
    }

    private static string Differences(byte[] actual, byte[] expected, int items)
    {
        int markedButFree = 0;
        int usedButClear = 0;
        for (int i = 0; i < items; i++)
        {
            bool a = Bitmap.IsSet(actual, i);
            bool e = Bitmap.IsSet(expected, i);
            markedButFree += a && !e ? 1 : 0;
            usedButClear += !a && e ? 1 : 0;
        }

        return $"{markedButFree} marked in use but free, {usedButClear} in use but marked free";
    }

    private void WriteDescriptorsAndSuperblocks()
    {
        SuperblockCopies.WriteAll(_device, _geometry, _sb, _groups, firstGroup: 0);
        _report.Modified = true;
    }

    private void WriteInode(long number, Inode inode)
    {
        var (group, index) = _geometry.LocateInode(number);
        long block = _groups[group].InodeTable + (index / _geometry.InodesPerBlock);
        var buffer = ReadBlock(block);
        var slot = buffer.AsSpan((index % _geometry.InodesPerBlock) * _sb.InodeSize, _sb.InodeSize);
        if (inode.IsFree)
        {
            slot.Clear();
        }
        else
        {
            inode.WriteTo(slot, number, _sb.InodeSize, _sb.ChecksumSeed);
        }

        WriteBlock(block, buffer);
    }

    private void ClearInode(long number)
    {
        if (_inodes.Remove(number, out var info))
        {
            foreach (long block in info.TreeBlocks.Concat(info.Extents.SelectMany(Blocks)))
            {
                _claims.Release(block);
            }
        }

        WriteInode(number, new Inode());
    }
}
