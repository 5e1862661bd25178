using System.Text;
using VexFs.BlockDevices;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Format.Editing;

/// <summary>
/// Builds and changes an unmounted filesystem directly on its device, without the journal, as mke2fs -d and
/// e2fsck do: directories, files, symbolic and hard links. Nothing is durable until <see cref="Commit"/>.
/// </summary>
internal sealed class FileSystemEditor
{
    private readonly BlockDevice _device;
    private readonly DeviceBlockStore _store;
    private readonly Allocator _allocator;
    private readonly InodeTable _inodes;
    private readonly ExtentTree _extents;
    private readonly DirectoryEditor _directories;
    private readonly long _now;

    private FileSystemEditor(BlockDevice device, Superblock superblock)
    {
        _device = device;
        _store = new DeviceBlockStore(device, superblock.BlockSize);
        _allocator = new Allocator(_store, superblock, Allocator.ReadDescriptors(_store, superblock));
        _inodes = new InodeTable(_store, _allocator);
        _extents = new ExtentTree(_store, _allocator);
        _directories = new DirectoryEditor(_store, _allocator, _extents);
        _now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    }

    public long RootInode => _allocator.Superblock.RootInode;

    public Superblock Superblock => _allocator.Superblock;

    public static FileSystemEditor Open(BlockDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var buffer = new byte[Math.Max(2048, device.SectorSize)];
        device.Read(0, buffer);
        var sb = Superblock.ReadFrom(buffer.AsSpan((int)Superblock.ByteOffset), Superblock.ByteOffset / 1024, device.Length);
        if (sb.Incompatible.HasFlag(IncompatibleFeatures.NeedsRecovery))
        {
            throw new IOException("The filesystem's journal needs recovery; run fsck.vexfs first.");
        }

        return new FileSystemEditor(device, sb);
    }

    public Inode ReadInode(long number) => _inodes.Read(number);

    public DirectoryEntry? Lookup(long directory, string name) => _directories.Lookup(directory, _inodes.Read(directory), name);

    /// <summary>The device block holding file block <paramref name="fileBlock"/> of inode <paramref name="number"/>.</summary>
    public long Map(long number, long fileBlock) => _extents.Map(_inodes.Read(number), number, fileBlock);

    public IEnumerable<DirectoryEntry> List(long directory) => _directories.Enumerate(directory, _inodes.Read(directory));

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
        var inode = _directories.CreateEmpty(number, parent, Inode.New(number, UnixModes.Make(UnixFileType.Directory, permissions), 2, _now));
        _inodes.Write(number, inode);
        parentInode = _directories.Insert(parent, parentInode, name, number, UnixFileType.Directory);
        _inodes.Write(parent, parentInode with { LinkCount = parentInode.LinkCount + 1, ModifyTimeNs = _now, ChangeTimeNs = _now });
        return number;
    }

    public long CreateFile(long parent, string name, ReadOnlySpan<byte> content, int permissions = 0x1A4)
    {
        var parentInode = RequireDirectory(parent);
        long number = _allocator.AllocateInode(directory: false, _allocator.Geometry.LocateInode(parent).Group);
        var inode = Inode.New(number, UnixModes.Make(UnixFileType.RegularFile, permissions), 1, _now) with { Size = content.Length };
        inode = WriteData(number, inode, content);
        _inodes.Write(number, inode);
        _inodes.Write(parent, _directories.Insert(parent, parentInode, name, number, UnixFileType.RegularFile) with { ModifyTimeNs = _now, ChangeTimeNs = _now });
        return number;
    }

    public long CreateSymbolicLink(long parent, string name, string target)
    {
        var parentInode = RequireDirectory(parent);
        byte[] bytes = Encoding.UTF8.GetBytes(target);
        if (bytes.Length is 0 or > 4096)
        {
            throw new ArgumentException($"A symbolic link target is 1 to 4096 bytes; '{target}' has {bytes.Length}.", nameof(target));
        }

        long number = _allocator.AllocateInode(directory: false, _allocator.Geometry.LocateInode(parent).Group);
        var inode = Inode.New(number, UnixModes.Make(UnixFileType.SymbolicLink, 0x1FF), 1, _now) with { Size = bytes.Length };
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

    public void Link(long parent, string name, long target)
    {
        var parentInode = RequireDirectory(parent);
        var inode = _inodes.Read(target);
        if (inode.Mode.Type() == UnixFileType.Directory)
        {
            throw new IOException("Directories cannot be hard-linked.");
        }

        _inodes.Write(parent, _directories.Insert(parent, parentInode, name, target, inode.Mode.Type()));
        _inodes.Write(target, inode with { LinkCount = inode.LinkCount + 1, ChangeTimeNs = _now });
    }

    /// <summary>Writes the allocator's bitmaps, descriptors and superblocks, then flushes the device.</summary>
    public void Commit()
    {
        _allocator.WriteChanges();
        _allocator.WriteBackups(_device);
        _device.Flush();
    }

    private Inode RequireDirectory(long number)
    {
        var inode = _inodes.Read(number);
        return inode.Mode.Type() == UnixFileType.Directory ? inode : throw new IOException($"Inode {number} is not a directory.");
    }

    private Inode WriteData(long number, Inode inode, ReadOnlySpan<byte> content)
    {
        int blockSize = _store.BlockSize;
        long blocks = (content.Length + blockSize - 1) / blockSize;
        long goal = _allocator.Geometry.GroupStart(_allocator.Geometry.LocateInode(number).Group);
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
                _store.Write(start + i, buffer);
            }

            inode = _extents.Insert(inode, number, new Extent(fileBlock, start, length));
            inode = inode with { Blocks = inode.Blocks + length };
            fileBlock += length;
            goal = start + length;
        }

        return inode;
    }
}
