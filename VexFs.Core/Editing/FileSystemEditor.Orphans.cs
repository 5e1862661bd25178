using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Orphans: files unlinked while open. They keep their blocks on a list that starts in the superblock and
/// runs through the inodes, and are freed at their last close, or at the next open after a crash.
/// </summary>
internal sealed partial class FileSystemEditor
{
    /// <summary>The inodes on the orphan list, head first.</summary>
    public List<long> Orphans()
    {
        var list = new List<long>();
        var seen = new HashSet<long>();
        for (long next = Superblock.OrphanHead; next != 0; next = _inodes.Read(next).NextOrphan)
        {
            if (!seen.Add(next) || next > Superblock.InodeCount)
            {
                throw new InvalidFileSystemException(0, "superblock.orphan_head", $"the orphan list loops or leaves the inode table at inode {next}");
            }

            list.Add(next);
        }

        return list;
    }

    /// <summary>Takes an orphan off the list and frees it with its blocks.</summary>
    public void ReclaimOrphan(long number)
    {
        var inode = _inodes.Read(number);
        if (!inode.Flags.HasFlag(InodeFlags.Orphan))
        {
            return;
        }

        if (Superblock.OrphanHead == number)
        {
            _allocator.UpdateSuperblock(sb => sb with { OrphanHead = inode.NextOrphan });
        }
        else
        {
            long previous = Orphans().Find(o => _inodes.Read(o).NextOrphan == number);
            if (previous == 0)
            {
                throw new InvalidFileSystemException(0, "superblock.orphan_head", $"orphan inode {number} is not on the orphan list");
            }

            _inodes.Write(previous, _inodes.Read(previous) with { NextOrphan = inode.NextOrphan });
        }

        if (inode.LinkCount > 0)
        {
            _inodes.Write(number, inode with { Flags = inode.Flags & ~InodeFlags.Orphan, NextOrphan = 0 });
        }
        else
        {
            Release(number, inode);
        }
    }

    private void MakeOrphan(long number, Inode inode)
    {
        _inodes.Write(number, inode with
        {
            LinkCount = 0,
            Flags = inode.Flags | InodeFlags.Orphan,
            NextOrphan = Superblock.OrphanHead,
            ChangeTimeNs = Now,
        });
        _allocator.UpdateSuperblock(sb => sb with { OrphanHead = number });
    }
}
