using System.Text;
using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Builds and changes an unmounted filesystem directly on its device, without the journal, as mke2fs -d and
/// e2fsck do: directories, files, symbolic and hard links. Nothing is durable until <see cref="Commit"/>.
/// </summary>
internal sealed partial class FileSystemEditor
{
    private readonly BlockDevice? _device;
    private readonly IBlockStore _store;
    private readonly IBlockStore _data;
    private readonly Allocator _allocator;
    private readonly InodeTable _inodes;
    private readonly ExtentTree _extents;
    private readonly DirectoryEditor _directories;
    private readonly Func<long, bool> _isOpen;
    private readonly IInodeObserver? _observer;

    /// <summary>
    /// Edits through <paramref name="metadata"/> (where every metadata block is read and written) and
    /// <paramref name="data"/> (file contents); <paramref name="device"/>, when given, receives the backup
    /// superblocks at <see cref="Commit"/>. A file whose last name goes while <paramref name="isOpen"/> says it
    /// is open becomes an orphan instead of being freed. Up to <paramref name="nameCacheEntries"/> names found
    /// by lookups are remembered. <paramref name="observer"/>, when given, is told of names and inodes as
    /// they change.
    /// </summary>
    public FileSystemEditor(IBlockStore metadata, IBlockStore data, Superblock superblock, BlockDevice? device, Func<long, bool>? isOpen = null, int nameCacheEntries = 0, IInodeObserver? observer = null)
    {
        _observer = observer;
        _device = device;
        _isOpen = isOpen ?? (_ => false);
        _store = metadata;
        _data = data;
        _allocator = new Allocator(_store, superblock, Allocator.ReadDescriptors(_store, superblock));
        _inodes = new InodeTable(_store, _allocator);
        _extents = new ExtentTree(_store, _allocator);
        _directories = new DirectoryEditor(_store, _allocator, _extents, nameCacheEntries, observer);
    }

    /// <summary>The allocator, whose changes the owner writes (and journals) when an operation completes.</summary>
    public Allocator Allocator => _allocator;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

    public long RootInode => _allocator.Superblock.RootInode;

    public Superblock Superblock => _allocator.Superblock;

    /// <summary>The largest file size: the largest multiple of the block size a signed 64-bit size holds.</summary>
    public long MaxFileSize => long.MaxValue / _store.BlockSize * _store.BlockSize;

    public static FileSystemEditor Open(BlockDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var sb = SuperblockCopies.Read(device);
        if (sb.Incompatible.HasFlag(IncompatibleFeatures.NeedsRecovery))
        {
            throw new IOException("The filesystem's journal needs recovery; run fsck.vexfs first.");
        }

        var store = new DeviceBlockStore(device, sb.BlockSize);
        return new FileSystemEditor(store, store, sb, device);
    }

    public Inode ReadInode(long number) => _inodes.Read(number);

    public DirectoryEntry? Lookup(long directory, string name) =>
        _directories.TryCached(directory, name, out var cached) ? cached : _directories.Lookup(directory, _inodes.Read(directory), name);

    /// <summary>The device block holding file block <paramref name="fileBlock"/> of inode <paramref name="number"/>.</summary>
    public long Map(long number, long fileBlock) => _extents.Map(_inodes.Read(number), number, fileBlock);

    public IEnumerable<DirectoryEntry> List(long directory, ulong fromHash = 0) => _directories.Enumerate(directory, _inodes.Read(directory), fromHash);

    /// <summary>The inode a '/'-separated absolute path names.</summary>
    public long Resolve(string path)
    {
        long current = RootInode;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Lookup(current, part)?.Inode ?? throw new FileNotFoundException($"'{path}' does not exist.");
        }

        return current;
    }

    public long CreateDirectory(long parent, string name, int permissions = 0x1ED)
    {
        var parentInode = RequireDirectory(parent);
        long number = _allocator.AllocateInode(directory: true, _allocator.Geometry.LocateInode(parent).Group);
        var inode = _directories.CreateEmpty(number, parent, Inode.New(number, UnixModes.Make(UnixFileType.Directory, permissions), 2, Now));
        _inodes.Write(number, inode);
        parentInode = _directories.Insert(parent, parentInode, name, number, UnixFileType.Directory);
        _inodes.Write(parent, parentInode with { LinkCount = parentInode.LinkCount + 1, ModifyTimeNs = Now, ChangeTimeNs = Now });
        return number;
    }

    public long CreateFile(long parent, string name, ReadOnlySpan<byte> content, int permissions = 0x1A4)
    {
        var parentInode = RequireDirectory(parent);
        long number = _allocator.AllocateInode(directory: false, _allocator.Geometry.LocateInode(parent).Group);
        var inode = Inode.New(number, UnixModes.Make(UnixFileType.RegularFile, permissions), 1, Now) with { Size = content.Length };
        inode = WriteData(number, inode, content);
        _inodes.Write(number, inode);
        _inodes.Write(parent, _directories.Insert(parent, parentInode, name, number, UnixFileType.RegularFile) with { ModifyTimeNs = Now, ChangeTimeNs = Now });
        return number;
    }

    public long CreateSymbolicLink(long parent, string name, string target)
    {
        ValidateLinkTarget(target);
        var parentInode = RequireDirectory(parent);
        byte[] bytes = Encoding.UTF8.GetBytes(target);

        long number = _allocator.AllocateInode(directory: false, _allocator.Geometry.LocateInode(parent).Group);
        var inode = Inode.New(number, UnixModes.Make(UnixFileType.SymbolicLink, 0x1FF), 1, Now) with { Size = bytes.Length };
        if (bytes.Length <= Inode.RootSize)
        {
            var root = new byte[Inode.RootSize];
            bytes.CopyTo(root, 0);
            inode = inode with { Root = root, Flags = InodeFlags.InlineSymlink };
        }
        else
        {
            inode = WriteData(number, inode, bytes);
        }

        _inodes.Write(number, inode);
        _inodes.Write(parent, _directories.Insert(parent, parentInode, name, number, UnixFileType.SymbolicLink));
        return number;
    }

    /// <summary>The longest symbolic link target in bytes: PATH_MAX (4096) less its terminating NUL, as on Linux.</summary>
    public const int MaxLinkTargetBytes = 4095;

    /// <summary>
    /// Checks a symbolic link target: 1 to <see cref="MaxLinkTargetBytes"/> bytes of valid UTF-8 without NUL
    /// (a longer one is refused as <see cref="VexErrorKind.NameTooLong"/>).
    /// </summary>
    public static void ValidateLinkTarget(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Length == 0 || target.Contains('\0', StringComparison.Ordinal) || !Utf8Text.IsValid(target))
        {
            throw new ArgumentException("A symbolic link target is 1 or more bytes of valid UTF-8 without NUL.", nameof(target));
        }

        int bytes = Encoding.UTF8.GetByteCount(target);
        if (bytes > MaxLinkTargetBytes)
        {
            throw new ArgumentException($"A symbolic link target is at most {MaxLinkTargetBytes} bytes; this one has {bytes}.", nameof(target)).With(VexErrorKind.NameTooLong);
        }
    }

    /// <summary>
    /// Creates a device file, pipe or socket (mknod): no data, the device number of a device file kept in the
    /// inode as ext4 keeps it in <c>i_block</c>.
    /// </summary>
    public long CreateSpecialFile(long parent, string name, UnixFileType type, int permissions, uint major, uint minor)
    {
        if (!type.IsSpecial())
        {
            throw new ArgumentException($"A special file is a device file, pipe or socket, not a {type}.", nameof(type));
        }

        if (!type.IsDevice() && (major | minor) != 0)
        {
            throw new ArgumentException($"A {type} has no device number.", nameof(major));
        }

        var parentInode = RequireDirectory(parent);
        long number = _allocator.AllocateInode(directory: false, _allocator.Geometry.LocateInode(parent).Group);
        var inode = Inode.New(number, UnixModes.Make(type, permissions), 1, Now) with { Root = Inode.SpecialRoot(major, minor) };
        _inodes.Write(number, inode);
        _inodes.Write(parent, _directories.Insert(parent, parentInode, name, number, type) with { ModifyTimeNs = Now, ChangeTimeNs = Now });
        return number;
    }

    public void Link(long parent, string name, long target)
    {
        var parentInode = RequireDirectory(parent);
        var inode = RequireInUse(target);
        if (inode.Mode.Type() == UnixFileType.Directory)
        {
            throw new VexFsException(VexErrorKind.NotPermitted, "Directories cannot be hard-linked.");
        }

        if (inode.LinkCount == 0)
        {
            throw new FileNotFoundException($"Inode {target} has been deleted.");
        }

        _inodes.Write(parent, _directories.Insert(parent, parentInode, name, target, inode.Mode.Type()));
        _inodes.Write(target, inode with { LinkCount = inode.LinkCount + 1, ChangeTimeNs = Now });
    }

    /// <summary>
    /// Removes the name <paramref name="name"/> from <paramref name="parent"/>. A directory must be empty; a
    /// file whose last link goes is freed with its blocks.
    /// </summary>
    public void Unlink(long parent, string name)
    {
        var parentInode = RequireDirectory(parent);
        var entry = _directories.Lookup(parent, parentInode, name) ?? throw new FileNotFoundException($"'{name}' does not exist in directory {parent}.");
        var target = _inodes.Read(entry.Inode);
        bool isDirectory = target.Mode.Type() == UnixFileType.Directory;
        if (isDirectory && _directories.Enumerate(entry.Inode, target).Any())
        {
            throw new VexFsException(VexErrorKind.NotEmpty, $"The directory '{name}' is not empty.");
        }

        _directories.Remove(parent, parentInode, name);
        parentInode = _inodes.Read(parent);
        _inodes.Write(parent, parentInode with { LinkCount = parentInode.LinkCount - (isDirectory ? 1 : 0), ModifyTimeNs = Now, ChangeTimeNs = Now });
        if (!isDirectory && target.LinkCount <= 1 && _isOpen(entry.Inode))
        {
            MakeOrphan(entry.Inode, target);
        }
        else if (isDirectory || target.LinkCount <= 1)
        {
            Release(entry.Inode, target);
        }
        else
        {
            _inodes.Write(entry.Inode, target with { LinkCount = target.LinkCount - 1, ChangeTimeNs = Now });
        }
    }

    /// <summary>
    /// Moves an entry, replacing a file or an empty directory of the new name; a directory cannot move below
    /// itself. Moving a name onto another name of the same file changes nothing, as rename(2) does.
    /// </summary>
    public void Rename(long fromParent, string fromName, long toParent, string toName)
    {
        DirectoryNames.Validate(toName, nameof(toName));
        var entry = Lookup(fromParent, fromName) ?? throw new FileNotFoundException($"'{fromName}' does not exist in directory {fromParent}.");
        if (fromParent == toParent && fromName == toName)
        {
            return;
        }

        bool isDirectory = entry.Type == UnixFileType.Directory;
        if (isDirectory && IsWithin(toParent, entry.Inode))
        {
            throw new VexFsException(VexErrorKind.InvalidArgument, "A directory cannot be moved below itself.");
        }

        if (Lookup(toParent, toName) is { } existing)
        {
            if (existing.Inode == entry.Inode)
            {
                // Two names of one file: rename(2) leaves both in place.
                return;
            }

            if ((existing.Type == UnixFileType.Directory) != isDirectory)
            {
                throw isDirectory
                    ? new VexFsException(VexErrorKind.NotADirectory, $"'{toName}' is not a directory.")
                    : new VexFsException(VexErrorKind.IsADirectory, $"'{toName}' is a directory.");
            }

            Unlink(toParent, toName);
        }

        _directories.Remove(fromParent, _inodes.Read(fromParent), fromName);
        _inodes.Write(toParent, _directories.Insert(toParent, _inodes.Read(toParent), toName, entry.Inode, entry.Type) with { ModifyTimeNs = Now });
        if (isDirectory && fromParent != toParent)
        {
            var moved = _inodes.Read(entry.Inode);
            _directories.SetParent(entry.Inode, moved, toParent);
            var source = _inodes.Read(fromParent);
            _inodes.Write(fromParent, source with { LinkCount = source.LinkCount - 1 });
            var destination = _inodes.Read(toParent);
            _inodes.Write(toParent, destination with { LinkCount = destination.LinkCount + 1 });
        }

        var target = _inodes.Read(entry.Inode);
        _inodes.Write(entry.Inode, target with { ChangeTimeNs = Now });
    }

    /// <summary>
    /// Swaps two entries (rename with RENAME_EXCHANGE): each name then links to what the other did. Both must
    /// exist; a directory cannot move below itself.
    /// </summary>
    public void Exchange(long firstParent, string firstName, long secondParent, string secondName)
    {
        var first = Lookup(firstParent, firstName) ?? throw new FileNotFoundException($"'{firstName}' does not exist in directory {firstParent}.");
        var second = Lookup(secondParent, secondName) ?? throw new FileNotFoundException($"'{secondName}' does not exist in directory {secondParent}.");
        if (first.Inode == second.Inode)
        {
            return;
        }

        bool firstIsDirectory = first.Type == UnixFileType.Directory;
        bool secondIsDirectory = second.Type == UnixFileType.Directory;
        if ((firstIsDirectory && IsWithin(secondParent, first.Inode)) || (secondIsDirectory && IsWithin(firstParent, second.Inode)))
        {
            throw new VexFsException(VexErrorKind.InvalidArgument, "A directory cannot be moved below itself.");
        }

        _directories.Remove(firstParent, _inodes.Read(firstParent), firstName);
        _directories.Remove(secondParent, _inodes.Read(secondParent), secondName);
        _inodes.Write(firstParent, _directories.Insert(firstParent, _inodes.Read(firstParent), firstName, second.Inode, second.Type) with { ModifyTimeNs = Now, ChangeTimeNs = Now });
        _inodes.Write(secondParent, _directories.Insert(secondParent, _inodes.Read(secondParent), secondName, first.Inode, first.Type) with { ModifyTimeNs = Now, ChangeTimeNs = Now });
        if (firstParent != secondParent)
        {
            int linkShift = (firstIsDirectory ? 1 : 0) - (secondIsDirectory ? 1 : 0);
            if (firstIsDirectory)
            {
                _directories.SetParent(first.Inode, _inodes.Read(first.Inode), secondParent);
            }

            if (secondIsDirectory)
            {
                _directories.SetParent(second.Inode, _inodes.Read(second.Inode), firstParent);
            }

            var firstHolder = _inodes.Read(firstParent);
            _inodes.Write(firstParent, firstHolder with { LinkCount = firstHolder.LinkCount - linkShift });
            var secondHolder = _inodes.Read(secondParent);
            _inodes.Write(secondParent, secondHolder with { LinkCount = secondHolder.LinkCount + linkShift });
        }

        _inodes.Write(first.Inode, _inodes.Read(first.Inode) with { ChangeTimeNs = Now });
        _inodes.Write(second.Inode, _inodes.Read(second.Inode) with { ChangeTimeNs = Now });
    }

    /// <summary>The directory that holds directory <paramref name="directory"/> (the root holds itself).</summary>
    public long ParentOf(long directory) => directory == RootInode ? directory : _directories.Parent(directory, _inodes.Read(directory));

    /// <summary>
    /// Sets a file's length: shrinking frees the blocks past the end, growing leaves a hole (and zeroes the rest
    /// of the old last block, where a crash may have left bytes past the old end).
    /// </summary>
    public void SetLength(long number, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var inode = RequireKind(number, UnixFileType.RegularFile);
        RequireSize(length, 0);
        int blockSize = _store.BlockSize;
        long tailBlock = inode.Size / blockSize;
        if (length > inode.Size && inode.Size % blockSize != 0 && _extents.Find(inode, number, tailBlock) is { Unwritten: false } oldLast)
        {
            WriteSegments([new WriteSegment(oldLast.Physical + (tailBlock - oldLast.Logical), 1, 0, 0, 0, Fresh: false, ZeroFrom: (int)(inode.Size % blockSize))], []);
        }

        if (length < inode.Size)
        {
            int tail = (int)(length % blockSize);
            long lastBlock = length / blockSize;
            byte[]? kept = null;
            if (tail != 0 && _extents.Find(inode, number, lastBlock) is { Unwritten: false } last)
            {
                kept = new byte[blockSize];
                _data.Read(last.Physical + (lastBlock - last.Logical), kept);
                kept.AsSpan(tail).Clear();
            }

            // The new last block is a copy with zeros past the end: the old block keeps the old contents whole
            // until this change commits, and nothing past the end of a file ever holds stale bytes.
            // A preallocated last block reads as zeros already and stays as it is.
            inode = _extents.RemoveFrom(inode, number, kept is null ? (length + blockSize - 1) / blockSize : lastBlock);
            if (kept is not null)
            {
                var (copy, _) = _allocator.AllocateBlocks(HomeGroupStart(number), 1);
                _data.Write(copy, kept);
                inode = _extents.Insert(inode, number, new Extent(lastBlock, copy, 1));
                inode = inode with { Blocks = inode.Blocks + 1 };
            }
        }

        _inodes.Write(number, inode with { Size = length, ModifyTimeNs = Now, ChangeTimeNs = Now });
    }

    /// <summary>Writes the allocator's bitmaps, descriptors and superblocks, then flushes the device.</summary>
    public void Commit()
    {
        _allocator.WriteChanges();
        if (_device is not null)
        {
            _allocator.WriteBackups(_device);
            _device.Flush();
        }
    }

    private bool IsWithin(long directory, long ancestor)
    {
        for (long current = directory; ;)
        {
            if (current == ancestor)
            {
                return true;
            }

            if (current == RootInode)
            {
                return false;
            }

            current = _directories.Parent(current, _inodes.Read(current));
        }
    }

    private void Release(long number, Inode inode)
    {
        _observer?.Released(number, this);
        if (inode.HasExtentTree)
        {
            _extents.RemoveFrom(inode, number, 0);
        }

        if (inode.XattrBlock != 0)
        {
            _allocator.FreeBlocks(inode.XattrBlock, 1);
        }

        _allocator.FreeInode(number, inode.Mode.Type() == UnixFileType.Directory);
        _inodes.Write(number, new Inode());
    }

    /// <summary>The first block of the group that holds inode <paramref name="number"/>, where its blocks are sought first.</summary>
    private long HomeGroupStart(long number) => _allocator.Geometry.GroupStart(_allocator.Geometry.LocateInode(number).Group);

    private Inode RequireDirectory(long number)
    {
        var inode = RequireInUse(number);
        return inode.Mode.Type() == UnixFileType.Directory ? inode : throw new DirectoryNotFoundException($"Inode {number} is not a directory.").With(VexErrorKind.NotADirectory);
    }

    private Inode WriteData(long number, Inode inode, ReadOnlySpan<byte> content)
    {
        int blockSize = _store.BlockSize;
        long blocks = (content.Length + blockSize - 1) / blockSize;
        long goal = HomeGroupStart(number);
        var buffer = new byte[blockSize];
        for (long fileBlock = 0; fileBlock < blocks;)
        {
            var (start, length) = _allocator.AllocateBlocks(goal, (int)Math.Min(blocks - fileBlock, int.MaxValue));
            for (int i = 0; i < length; i++)
            {
                long offset = (fileBlock + i) * blockSize;
                int count = (int)Math.Min(blockSize, content.Length - offset);
                Array.Clear(buffer);
                content.Slice((int)offset, count).CopyTo(buffer);
                _data.Write(start + i, buffer);
            }

            inode = _extents.Insert(inode, number, new Extent(fileBlock, start, length));
            inode = inode with { Blocks = inode.Blocks + length };
            fileBlock += length;
            goal = start + length;
        }

        return inode;
    }
}
