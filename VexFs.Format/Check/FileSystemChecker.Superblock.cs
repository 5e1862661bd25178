using VexFs.Format.Editing;
using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Format.Check;

/// <summary>Pass 0: the superblock (falling back to a backup), the journal and the group descriptors.</summary>
public sealed partial class FileSystemChecker
{
    private byte[] ReadBlock(long block)
    {
        var buffer = new byte[_sb.BlockSize];
        _device.Read(block * _sb.BlockSize, buffer);
        return buffer;
    }

    private void WriteBlock(long block, ReadOnlySpan<byte> data)
    {
        _device.Write(block * _sb.BlockSize, data);
        _report.Modified = true;
    }

    private Superblock? TryReadSuperblock(long offset, out string? problem)
    {
        problem = null;
        try
        {
            return SuperblockCopies.Read(_device, offset);
        }
        catch (InvalidFileSystemException e)
        {
            problem = e.Message;
            return null;
        }
    }

    private bool LoadSuperblock()
    {
        var primary = TryReadSuperblock(Superblock.ByteOffset, out string? problem);
        if (primary is not null)
        {
            _sb = primary;
            _geometry = new Geometry(_sb);
            return true;
        }

        // Look for a backup where each block size would put group 1, 3, 5, ... .
        foreach (int log2 in Enumerable.Range(Superblock.MinBlockSizeLog2, Superblock.MaxBlockSizeLog2 - Superblock.MinBlockSizeLog2 + 1))
        {
            long blockSize = 1L << log2;
            foreach (int group in new[] { 1, 3, 5, 7, 9, 25, 27, 49, 81 })
            {
                long offset = group * 8 * blockSize * blockSize;
                var backup = TryReadSuperblock(offset, out _);
                if (backup is null || backup.BlockSize != blockSize || backup.CopyGroup != group)
                {
                    continue;
                }

                _sb = backup with { CopyGroup = 0 };
                _geometry = new Geometry(_sb);
                bool repaired = false;
                if (Repair)
                {
                    var descriptors = new byte[(long)_sb.DescriptorBlocks * _sb.BlockSize];
                    _device.Read(_geometry.DescriptorTableBlock(group) * _sb.BlockSize, descriptors);
                    WriteSuperblockCopy(0, _sb, descriptors);
                    repaired = true;
                }

                Found("superblock", $"the primary superblock is invalid ({problem}); using the backup in group {group}", repaired);
                return true;
            }
        }

        _report.OperationalError = $"{_device.Description} holds no valid VexFS superblock: {problem}";
        return false;
    }

    private void WriteSuperblockCopy(int group, Superblock sb, byte[]? descriptors)
    {
        if (descriptors is null)
        {
            descriptors = new byte[(long)sb.DescriptorBlocks * sb.BlockSize];
            _device.Read(_geometry.DescriptorTableBlock(group) * sb.BlockSize, descriptors);
        }

        SuperblockCopies.Write(_device, _geometry, sb, descriptors, group);
        _report.Modified = true;
    }

    /// <summary>
    /// Replays the journal when it holds committed transactions (under -n, reports them), as the library's
    /// open does; a committed transaction that does not verify ends the replay there, as in e2fsck. Returns
    /// whether the journal held anything to replay.
    /// </summary>
    private bool CheckJournal()
    {
        bool needsRecovery = _sb.Incompatible.HasFlag(IncompatibleFeatures.NeedsRecovery);
        RecoveryPlan plan;
        try
        {
            plan = JournalWriter.PlanRecovery(_device, _sb.JournalStart, _sb.JournalBlocks, _sb.BlockSize, _sb.ChecksumSeed, _sb.Uuid, _sb.BlockCount);
        }
        catch (InvalidFileSystemException e)
        {
            if (Repair)
            {
                ResetJournal(1);
                MarkRecovered();
            }

            Found("journal", needsRecovery ? $"{e.Message}; the journal cannot be replayed" : e.Message, Repair);
            return needsRecovery;
        }

        if (plan.Transactions == 0 && plan.Damage is null)
        {
            if (needsRecovery && Repair)
            {
                MarkRecovered();
            }

            return false;
        }

        string dropped = plan.Damage is null ? string.Empty : $"{plan.Damage}; the transactions from there on are dropped";
        if (!Repair)
        {
            Found("journal", $"the journal holds {plan.Transactions} committed transactions that need replaying ({plan.Writes.Count} blocks)");
            if (plan.Damage is not null)
            {
                Found("journal", dropped);
            }

            return true;
        }

        JournalWriter.Recover(_device, _sb.JournalStart, _sb.JournalBlocks, _sb.BlockSize, _sb.ChecksumSeed, _sb.Uuid, _sb.BlockCount, dropDamaged: true);
        _report.Modified = true;
        if (plan.Damage is not null)
        {
            Found("journal", $"{dropped} (replayed the {plan.Transactions} before)", fixedNow: true);
        }

        var reloaded = TryReadSuperblock(Superblock.ByteOffset, out string? problem)
            ?? throw new InvalidFileSystemException($"The superblock is invalid after replaying the journal: {problem}");
        _sb = reloaded;
        _geometry = new Geometry(_sb);
        MarkRecovered();
        return true;
    }

    /// <summary>Clears the superblock's needs-recovery flag once the journal holds nothing to replay.</summary>
    private void MarkRecovered()
    {
        _sb = _sb with { Incompatible = _sb.Incompatible & ~IncompatibleFeatures.NeedsRecovery };
        WriteSuperblockCopy(0, _sb, null);
        _device.Flush();
    }

    private void ResetJournal(ulong sequence)
    {
        var buffer = new byte[_sb.BlockSize];
        new JournalHeader(sequence, 1, _sb.JournalBlocks, _sb.BlockSize, _sb.Uuid).Write(buffer, _sb.JournalStart, _sb.ChecksumSeed);
        WriteBlock(_sb.JournalStart, buffer);
        Array.Clear(buffer);
        WriteBlock(_sb.JournalStart + 1, buffer);
    }

    private void LoadDescriptors()
    {
        _groups = new GroupDescriptor[_sb.GroupCount];
        _badDescriptors = new bool[_sb.GroupCount];
        int perBlock = _sb.BlockSize / GroupDescriptor.Size;
        long tableBlock = _geometry.DescriptorTableBlock(0);
        byte[]? block = null;
        for (int g = 0; g < _sb.GroupCount; g++)
        {
            if (g % perBlock == 0)
            {
                block = ReadBlock(tableBlock + (g / perBlock));
            }

            try
            {
                _groups[g] = GroupDescriptor.ReadFrom(block.AsSpan((g % perBlock) * GroupDescriptor.Size), g, tableBlock + (g / perBlock), _geometry);
                CheckDescriptorPlacement(g);
            }
            catch (InvalidFileSystemException e)
            {
                // Rebuilt in pass 5 from what is found in use; until then, assume the standard placement.
                _badDescriptors[g] = true;
                _groups[g] = StandardDescriptor(g);
                Found("group", $"group {g}: {e.Message}", Repair);
            }
        }
    }

    private void CheckDescriptorPlacement(int g)
    {
        var d = _groups[g];
        long start = _geometry.GroupStart(g);
        long end = start + _geometry.BlocksInGroup(g);
        bool inGroup(long block, long count) => block >= start + _geometry.SuperblockAreaBlocks(g) && block + count <= end;
        if (!inGroup(d.BlockBitmap, 1) || !inGroup(d.InodeBitmap, 1) || !inGroup(d.InodeTable, _geometry.InodeTableBlocks))
        {
            throw new InvalidFileSystemException(_geometry.DescriptorTableBlock(0), $"group descriptor {g}", "its bitmaps or inode table lie outside the group's own blocks");
        }
    }

    private GroupDescriptor StandardDescriptor(int g)
    {
        long bitmap = _geometry.GroupStart(g) + _geometry.SuperblockAreaBlocks(g);
        return new GroupDescriptor(bitmap, bitmap + 1, bitmap + 2, 0, 0, 0, 0, GroupFlags.None, 0, 0);
    }

    private void ClaimMetadata()
    {
        for (int g = 0; g < _sb.GroupCount; g++)
        {
            long start = _geometry.GroupStart(g);
            for (int i = 0; i < _geometry.SuperblockAreaBlocks(g); i++)
            {
                _claims.Claim(start + i);
            }

            var d = _groups[g];
            ClaimOrReport(d.BlockBitmap, 1, $"group {g} block bitmap");
            ClaimOrReport(d.InodeBitmap, 1, $"group {g} inode bitmap");
            ClaimOrReport(d.InodeTable, _geometry.InodeTableBlocks, $"group {g} inode table");
        }

        ClaimOrReport(_sb.JournalStart, _sb.JournalBlocks, "the journal");
        ClaimOrReport(_sb.VectorTableBlock, 1, "the vector table");
    }

    private void ClaimOrReport(long block, long count, string what)
    {
        for (long b = block; b < block + count; b++)
        {
            if (!_claims.Claim(b))
            {
                Found("group", $"{what} overlaps other metadata at block {b}");
                return;
            }
        }
    }
}
