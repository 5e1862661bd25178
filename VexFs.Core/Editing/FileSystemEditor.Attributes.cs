using System.Text;
using VexFs.Format;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>Inode attributes (mode, owner, times) and extended attributes.</summary>
internal sealed partial class FileSystemEditor
{
    /// <summary>The largest extended-attribute value, as on ext4 with 4 KiB blocks.</summary>
    public const int MaxXattrValueBytes = 4000;

    /// <summary>
    /// Changes the permission bits, owner and times of an inode; null leaves a field as it is. The change time
    /// becomes now.
    /// </summary>
    public Inode SetAttributes(long number, int? permissions = null, uint? uid = null, uint? gid = null, long? accessTimeNs = null, long? modifyTimeNs = null)
    {
        var inode = RequireInUse(number);
        if (permissions is { } p)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(p, nameof(permissions));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(p, UnixModes.PermissionMask, nameof(permissions));
            inode = inode with { Mode = UnixModes.Make(inode.Mode.Type(), p) };
        }

        inode = inode with
        {
            Uid = uid ?? inode.Uid,
            Gid = gid ?? inode.Gid,
            AccessTimeNs = accessTimeNs ?? inode.AccessTimeNs,
            ModifyTimeNs = modifyTimeNs ?? inode.ModifyTimeNs,
            ChangeTimeNs = Now,
        };
        _inodes.Write(number, inode);
        return inode;
    }

    /// <summary>Every extended attribute of an inode, by name.</summary>
    public SortedDictionary<string, byte[]> ReadXattrs(long number)
    {
        var inode = RequireInUse(number);
        var all = XattrEntries.Read(inode.InlineXattrs, number, $"inode {number}.inline_xattrs");
        if (inode.XattrBlock != 0)
        {
            Corruption.Check(inode.XattrBlock < Superblock.BlockCount, inode.XattrBlock, $"inode {number}.xattr_block", $"block {inode.XattrBlock} is outside the filesystem's {Superblock.BlockCount} blocks");
            var block = new byte[_store.BlockSize];
            _store.Read(inode.XattrBlock, block);
            foreach (var (name, value) in XattrBlock.Read(block, inode.XattrBlock, number, Superblock.ChecksumSeed))
            {
                all[name] = value;
            }
        }

        return all;
    }

    /// <summary>
    /// Sets (or, with a null value, removes) one extended attribute. The attributes live in the inode while
    /// they fit, and in one attribute block when they do not.
    /// </summary>
    /// <exception cref="IOException">The attributes of the inode would not fit one block.</exception>
    public void SetXattr(long number, string name, byte[]? value)
    {
        ValidateXattrName(name);
        if (value is { Length: > MaxXattrValueBytes })
        {
            throw new ArgumentException($"An attribute value is at most {MaxXattrValueBytes} bytes; '{name}' has {value.Length}.", nameof(value)).With(VexErrorKind.Range);
        }

        var all = ReadXattrs(number);
        if (value is null)
        {
            if (!all.Remove(name))
            {
                throw new KeyNotFoundException($"Inode {number} has no attribute '{name}'.");
            }
        }
        else
        {
            all[name] = value;
        }

        WriteXattrs(number, all);
    }

    /// <summary>
    /// Checks an attribute name: 1 to 255 bytes of valid UTF-8 without NUL (a longer one is refused as
    /// <see cref="VexErrorKind.Range"/>, as setxattr(2) does).
    /// </summary>
    public static void ValidateXattrName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal) || !Utf8Text.IsValid(name))
        {
            throw new ArgumentException($"An attribute name is 1 to {XattrEntries.MaxNameBytes} bytes of valid UTF-8 without NUL; '{name}' is not.", nameof(name));
        }

        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > XattrEntries.MaxNameBytes)
        {
            throw new ArgumentException($"An attribute name is at most {XattrEntries.MaxNameBytes} bytes of UTF-8; '{name}' has {bytes}.", nameof(name)).With(VexErrorKind.Range);
        }
    }

    private void WriteXattrs(long number, SortedDictionary<string, byte[]> attributes)
    {
        var inode = _inodes.Read(number);
        int size = XattrEntries.EncodedSize(attributes);
        if (size <= Inode.InlineXattrCapacity(Superblock.InodeSize))
        {
            var inline = new byte[size];
            XattrEntries.Write(inline, attributes);
            if (inode.XattrBlock != 0)
            {
                _allocator.FreeBlocks(inode.XattrBlock, 1);
                inode = inode with { XattrBlock = 0, Blocks = inode.Blocks - 1 };
            }

            _inodes.Write(number, inode with { InlineXattrs = inline, ChangeTimeNs = Now });
            return;
        }

        if (size > XattrBlock.Capacity(_store.BlockSize))
        {
            throw new VexFsException(VexErrorKind.NoSpace, $"The extended attributes of inode {number} would take {size} bytes; one attribute block holds {XattrBlock.Capacity(_store.BlockSize)}.");
        }

        long block = inode.XattrBlock;
        if (block == 0)
        {
            (block, _) = _allocator.AllocateBlocks(HomeGroupStart(number), 1);
            inode = inode with { XattrBlock = block, Blocks = inode.Blocks + 1 };
        }

        var buffer = new byte[_store.BlockSize];
        XattrBlock.Write(buffer, block, number, attributes, Superblock.ChecksumSeed);
        _store.Write(block, buffer);
        _inodes.Write(number, inode with { InlineXattrs = [], ChangeTimeNs = Now });
    }

    private Inode RequireInUse(long number) =>
        TryReadInUse(number) ?? throw new FileNotFoundException($"Inode {number} does not exist or is not in use.");

    /// <summary>
    /// Inode <paramref name="number"/> when it is in use; null when the number is out of range, lies in the
    /// never-initialised part of its group's table, or is free. For numbers a caller gives.
    /// </summary>
    public Inode? TryReadInUse(long number)
    {
        if (number < 1 || number > Superblock.InodeCount || !_allocator.IsInitialised(number))
        {
            return null;
        }

        var inode = _inodes.Read(number);
        return inode.IsFree ? null : inode;
    }
}
