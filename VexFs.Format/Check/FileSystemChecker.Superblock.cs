using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Format.Check;

/// <summary>Pass 0: the superblock (falling back to a backup), the journal and the group descriptors.</summary>
public sealed partial class FileSystemChecker
{
    private static readonly int[] BackupGroupsToTry = [1, 3, 5, 7, 9, 25, 27, 49, 81];

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
            CheckLayout(primary);
            return true;
        }

        foreach (var (copy, backup) in Backups())
        {
            // A backup never says whether the journal needs replaying; what it holds is replayed all the
            // same (CheckJournal), as an open would.
            _sb = backup with { CopyGroup = 0 };
            _geometry = new Geometry(_sb);
            _usedBackup = true;
            bool repaired = false;
            if (Repair)
            {
                var descriptors = new byte[(long)_sb.DescriptorBlocks * _sb.BlockSize];
                _device.Read(_geometry.DescriptorTableBlock(copy) * _sb.BlockSize, descriptors);
                WriteSuperblockCopy(0, _sb, descriptors);
                repaired = true;
            }

            string where = copy == _sb.GroupCount ? "in the last blocks" : $"in group {copy}";
            Found("superblock", $"the primary superblock is invalid ({problem}); using the backup {where}", repaired);
            return true;
        }

        _report.OperationalError = $"{_device.Description} holds no valid VexFS superblock: {problem}";
        return false;
    }

    /// <summary>
    /// The valid backups of the superblock, found without trusting the primary: where each block size would
    /// put the tail copy of a one-group filesystem (the last blocks of the device) and group 1, 3, 5, ...; a
    /// copy counts only where its own fields put it. The tail copy's number is the group count, 1.
    /// </summary>
    private IEnumerable<(int Copy, Superblock Backup)> Backups()
    {
        foreach (int log2 in Enumerable.Range(Superblock.MinBlockSizeLog2, Superblock.MaxBlockSizeLog2 - Superblock.MinBlockSizeLog2 + 1))
        {
            int blockSize = 1 << log2;
            var candidates = BackupGroupsToTry.Select(g => (Copy: g, Offset: (long)g * 8 * blockSize * blockSize))
                .Prepend((Copy: 1, Offset: Geometry.TailCopyByteOffset(_device.Length, blockSize)));
            foreach (var (copy, offset) in candidates)
            {
                var backup = offset > 0 ? TryReadSuperblock(offset, out _) : null;
                if (backup is not null && backup.BlockSize == blockSize && backup.CopyGroup == copy && new Geometry(backup).SuperblockByteOffset(copy) == offset)
                {
                    yield return (copy, backup);
                }
            }
        }
    }

    /// <summary>
    /// The fields that fix the layout never change after mkfs, so every copy of the superblock holds the same
    /// ones; a valid copy that disagrees was damaged with its checksum made to match. The layout most copies
    /// hold wins; a tie goes to the copy whose journal header agrees with it, then to a backup, which is
    /// written far less often than the primary. The primary keeps its other fields (counts, state, orphans,
    /// times), which only it holds up to date.
    /// </summary>
    private void CheckLayout(Superblock primary)
    {
        var copies = Backups().Select(b => b.Backup).Prepend(primary).ToList();
        if (copies.All(primary.SameLayout))
        {
            return;
        }

        var chosen = primary;
        int votes = copies.Count(primary.SameLayout);
        bool journal = JournalAgrees(primary);
        foreach (var copy in copies.Skip(1))
        {
            int v = copies.Count(copy.SameLayout);
            bool j = JournalAgrees(copy);
            if (v > votes || (v == votes && (j || !journal)))
            {
                (chosen, votes, journal) = (copy, v, j);
            }
        }

        _superblockRepaired = Repair;
        if (ReferenceEquals(chosen, primary))
        {
            Found("superblock", "a backup superblock describes another layout than the primary; the backups are rewritten from the primary", Repair);
            return;
        }

        _sb = primary.WithLayoutOf(chosen);
        _geometry = new Geometry(_sb);
        _usedBackup = true;
        Found("superblock", $"the primary superblock describes another layout than {votes} of its {copies.Count - 1} backups (journal at block {primary.JournalStart}, {primary.JournalBlocks} blocks; theirs at {chosen.JournalStart}, {chosen.JournalBlocks}); the backups' layout is taken", Repair);
    }

    /// <summary>Whether the journal header where <paramref name="sb"/> puts it verifies and agrees with it.</summary>
    private bool JournalAgrees(Superblock sb)
    {
        // A copy that decoded is within the device, its journal with it (Superblock.ReadFrom checks both).
        try
        {
            JournalReplay.ReadHeader(_device, JournalArea.Of(sb));
            return true;
        }
        catch (InvalidFileSystemException)
        {
            return false;
        }
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
    /// The MMP block of a filesystem with multi-mount protection: one that does not verify is reported, and
    /// rewritten clean by a repair. A repair then takes the device as a writer would, with fsck's sequence,
    /// which keeps every other node out until the check ends (and refuses while another node uses it); a
    /// check-only run writes nothing and takes nothing. Returns false when the check must not go on.
    /// </summary>
    private bool CheckMultiMount()
    {
        if (!_sb.HasMultiMountProtection)
        {
            return true;
        }

        try
        {
            MultiMountGuard.Read(_device, _sb);
        }
        catch (InvalidFileSystemException e)
        {
            if (Repair)
            {
                MultiMountGuard.Write(_device, _sb, MultiMountGuard.CleanBlock(_sb.MmpInterval, _options.NodeName, _device.Description));
                _report.Modified = true;
            }

            Found("mmp", $"the multi-mount protection block is damaged ({e.Message}); {(Repair ? "rewritten clean" : "not repaired")}", Repair);
        }

        if (!Repair)
        {
            return true;
        }

        try
        {
            _multiMount = MultiMountGuard.Acquire(_device, _sb, _options.NodeName, forFsck: true, CancellationToken.None);
        }
        catch (VexFsException e) when (e.Kind == VexErrorKind.Busy)
        {
            _report.OperationalError = e.Message;
            return false;
        }

        _multiMount.StartHeartbeat(lost => _multiMountLost = lost);
        return true;
    }

    /// <summary>Marks the MMP block clean at the end of a repair; an operational error when another node took the device meanwhile.</summary>
    private void ReleaseMultiMount()
    {
        if (_multiMount is null)
        {
            return;
        }

        _multiMount.Dispose();
        _multiMount = null;
        if (_multiMountLost is { } lost)
        {
            _report.OperationalError = $"Multi-mount protection stopped during the check (another node took the device, or it failed); the repair may be incomplete: {lost.Message}";
        }
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
            plan = JournalReplay.Plan(_device, JournalArea.Of(_sb));
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

        JournalReplay.Replay(_device, JournalArea.Of(_sb), dropDamaged: true);
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
            }
            catch (InvalidFileSystemException e)
            {
                // Rebuilt in pass 5 from what is found in use; until then, assume the standard placement.
                _badDescriptors[g] = true;
                _groups[g] = StandardDescriptor(g);
                Found("group", $"group {g}: {e.Message}", Repair);
                continue;
            }

            // The layout is a function of the superblock: a descriptor that puts the bitmaps or the inode table
            // elsewhere is damaged, and the layout is believed over it (its counts are checked in pass 5).
            var d = _groups[g];
            if (!_geometry.IsPlacedByLayout(g, d))
            {
                var placed = StandardDescriptor(g);
                Found("group", $"group {g}: its bitmaps and inode table are recorded at {d.BlockBitmap}, {d.InodeBitmap} and {d.InodeTable}, but the layout puts them at {placed.BlockBitmap}, {placed.InodeBitmap} and {placed.InodeTable}; descriptor corrected", Repair);
                _groups[g] = d with { BlockBitmap = placed.BlockBitmap, InodeBitmap = placed.InodeBitmap, InodeTable = placed.InodeTable };
                _descriptorsRepaired = true;
            }

            if (d.Flags.HasFlag(GroupFlags.InodeBitmapUninit) && !_geometry.TrustsInodeBitmapUninit(g, d))
            {
                Found("group", $"group {g}: marked as having its inode bitmap uninitialised, but its counts say inodes are in use; flag cleared", Repair);
                _groups[g] = _groups[g] with { Flags = _groups[g].Flags & ~GroupFlags.InodeBitmapUninit };
                _descriptorsRepaired = true;
            }

            if (d.Flags.HasFlag(GroupFlags.BlockBitmapUninit) && !_geometry.TrustsBlockBitmapUninit(g, d))
            {
                Found("group", $"group {g}: marked as having its block bitmap uninitialised, but its counts or the metadata it holds say blocks are in use; flag cleared", Repair);
                _groups[g] = _groups[g] with { Flags = _groups[g].Flags & ~GroupFlags.BlockBitmapUninit };
                _descriptorsRepaired = true;
            }
        }
    }

    private GroupDescriptor StandardDescriptor(int g)
    {
        return new GroupDescriptor(_geometry.BlockBitmapBlock(g), _geometry.InodeBitmapBlock(g), _geometry.InodeTableBlock(g), 0, 0, 0, 0, GroupFlags.None, 0, 0);
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
        ClaimOrReport(_geometry.TailCopyBlock, _geometry.TailCopyBlocks, "the tail copy of the superblock");
        ClaimOrReport(_sb.VectorTableBlock, 1, "the vector table");
        if (_sb.HasMultiMountProtection)
        {
            ClaimOrReport(_sb.MmpBlock, 1, "the MMP block");
        }
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
