using System.Buffers.Binary;
using System.Numerics;
using CommunityToolkit.HighPerformance.Buffers;
using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Allocates and frees blocks and inodes through the group bitmaps, keeping the group descriptors and the
/// superblock's counts in step. Uninitialised groups are initialised on first use. Changes stay in memory
/// until <see cref="WriteChanges"/> writes the bitmaps, descriptors and superblock.
/// </summary>
internal sealed class Allocator
{
    private readonly IBlockStore _store;
    private readonly Geometry _geometry;
    private readonly GroupDescriptor[] _groups;
    private readonly Dictionary<int, byte[]> _blockBitmaps = [];
    private readonly Dictionary<int, byte[]> _inodeBitmaps = [];
    private readonly HashSet<int> _dirtyBlockBitmaps = [];
    private readonly HashSet<int> _dirtyInodeBitmaps = [];
    private readonly HashSet<int> _dirtyDescriptors = [];
    private readonly HashSet<int> _dirtyDescriptorBlocks = [];
    private readonly UnreusableBlocks _notYetReusable;

    public Allocator(IBlockStore store, Superblock superblock, GroupDescriptor[] groups)
    {
        _store = store;
        Superblock = superblock;
        _written = superblock;
        _geometry = new Geometry(superblock);
        _groups = groups;
        _notYetReusable = new UnreusableBlocks(_geometry);
    }

    public Superblock Superblock { get; private set; }

    /// <summary>The superblock as last written through the store (or as read), to skip rewriting it unchanged.</summary>
    private Superblock _written;

    public Geometry Geometry => _geometry;

    public GroupDescriptor Group(int group) => _groups[group];

    /// <summary>Blocks freed since the owner last cleared the list (it revokes their journaled copies).</summary>
    public List<long> Freed { get; } = [];

    /// <summary>
    /// Declares the blocks <paramref name="durable"/> names durable as free (those a commit's operations freed).
    /// Until then a freed block is not handed out again, so that file data written straight to the device never
    /// lands on a block whose freeing a crash could undo.
    /// </summary>
    public void MarkFreesDurable(IEnumerable<long> durable) => _notYetReusable.Remove(durable);

    /// <summary>The blocks freed by finished operations that may not be reused until a commit makes those operations durable.</summary>
    public long[] FreesNotDurable() => _notYetReusable.ToArray();

    /// <summary>Whether blocks freed by finished operations wait for a commit before they may be reused.</summary>
    public bool HasFreesNotDurable => _notYetReusable.Count > 0;

    /// <summary>Whether bitmaps, descriptors or the superblock have changed since <see cref="WriteChanges"/> last wrote them.</summary>
    public bool HasUnwrittenChanges =>
        _dirtyBlockBitmaps.Count > 0 || _dirtyInodeBitmaps.Count > 0 || _dirtyDescriptors.Count > 0 || _dirtyDescriptorBlocks.Count > 0
        || Superblock != _written;

    /// <summary>
    /// Takes over the blocks <paramref name="previous"/> may not reuse yet: an allocator rebuilt after a failed
    /// operation must not hand out blocks that operations finished but not yet committed have freed.
    /// </summary>
    public void InheritFreesNotDurable(Allocator previous) => _notYetReusable.UnionWith(previous._notYetReusable);

    /// <summary>Loads the descriptor table of a filesystem whose superblock is <paramref name="superblock"/>.</summary>
    public static GroupDescriptor[] ReadDescriptors(IBlockStore store, Superblock superblock)
    {
        var geometry = new Geometry(superblock);
        var groups = new GroupDescriptor[superblock.GroupCount];
        var block = new byte[superblock.BlockSize];
        int perBlock = superblock.BlockSize / GroupDescriptor.Size;
        long first = geometry.DescriptorTableBlock(0);
        for (int g = 0; g < groups.Length; g++)
        {
            if (g % perBlock == 0)
            {
                store.Read(first + (g / perBlock), block);
            }

            groups[g] = GroupDescriptor.ReadFrom(block.AsSpan((g % perBlock) * GroupDescriptor.Size), g, first + (g / perBlock), geometry);
            geometry.CheckPlacement(g, groups[g], first + (g / perBlock));
        }

        return groups;
    }

    /// <summary>
    /// Allocates up to <paramref name="count"/> contiguous blocks, as near after <paramref name="goal"/> as
    /// possible; returns the first block and how many were given (at least one).
    /// </summary>
    public (long Start, int Length) AllocateBlocks(long goal, int count)
    {
        if (Superblock.FreeBlocks == 0)
        {
            throw new FileSystemFullException("No space left on the VexFS filesystem: every block is in use.");
        }

        int startGroup = (int)Math.Clamp(goal / _geometry.BlocksPerGroup, 0, _geometry.GroupCount - 1);
        for (int n = 0; n < _geometry.GroupCount; n++)
        {
            int g = (startGroup + n) % _geometry.GroupCount;
            if (_groups[g].FreeBlocks == 0)
            {
                continue;
            }

            var bitmap = BlockBitmap(g);
            int blocks = _geometry.BlocksInGroup(g);
            long groupStart = _geometry.GroupStart(g);
            int from = n == 0 ? (int)Math.Clamp(goal - groupStart, 0, blocks - 1) : 0;
            var unreusable = _notYetReusable.Of(g);
            int first = FindClear(bitmap, unreusable, from, blocks);
            if (first < 0 && from > 0)
            {
                first = FindClear(bitmap, unreusable, 0, blocks);
            }

            if (first < 0)
            {
                continue;
            }

            int length = 1;
            while (length < count && first + length < blocks && !Bitmap.IsSet(bitmap, first + length)
                && (unreusable is null || !Bitmap.IsSet(unreusable, first + length)))
            {
                length++;
            }

            Bitmap.SetRange(bitmap, first, length);
            _dirtyBlockBitmaps.Add(g);
            _dirtyDescriptors.Add(g);
            _groups[g] = _groups[g] with { FreeBlocks = _groups[g].FreeBlocks - length, Flags = _groups[g].Flags & ~GroupFlags.BlockBitmapUninit };
            Superblock = Superblock with { FreeBlocks = Superblock.FreeBlocks - length };
            return (groupStart + first, length);
        }

        throw new FileSystemFullException("No space left on the VexFS filesystem.");
    }

    public void FreeBlocks(long start, long count)
    {
        for (long b = start; b < start + count; b++)
        {
            int g = _geometry.GroupOfBlock(b);
            var bitmap = BlockBitmap(g);
            int index = (int)(b - _geometry.GroupStart(g));
            if (!Bitmap.IsSet(bitmap, index))
            {
                throw new InvalidFileSystemException(b, "block bitmap", $"block {b} is freed but was not in use");
            }

            Bitmap.Clear(bitmap, index);
            Freed.Add(b);
            _notYetReusable.Add(b);
            _dirtyBlockBitmaps.Add(g);
            _dirtyDescriptors.Add(g);
            _groups[g] = _groups[g] with { FreeBlocks = _groups[g].FreeBlocks + 1, Flags = _groups[g].Flags & ~GroupFlags.BlockBitmapUninit };
        }

        Superblock = Superblock with { FreeBlocks = Superblock.FreeBlocks + count };
    }

    /// <summary>
    /// Whether inode <paramref name="number"/> (in range) lies in the part of its group's table that has been
    /// initialised. The rest was never used and holds whatever the device held before mkfs, so it is not read.
    /// </summary>
    public bool IsInitialised(long number)
    {
        var (g, index) = _geometry.LocateInode(number);
        int watermark = _geometry.InodesPerGroup - _groups[g].UnusedInodes;
        return index < watermark;
    }

    /// <summary>Allocates an inode, preferring <paramref name="goalGroup"/>; zeroes its inode-table block on first use.</summary>
    public long AllocateInode(bool directory, int goalGroup)
    {
        for (int n = 0; n < _geometry.GroupCount; n++)
        {
            int g = (goalGroup + n) % _geometry.GroupCount;
            var d = _groups[g];
            if (d.FreeInodes == 0)
            {
                continue;
            }

            var bitmap = InodeBitmap(g);
            int index = FindClear(bitmap, null, 0, _geometry.InodesPerGroup);
            if (index < 0)
            {
                continue;
            }

            int watermark = _geometry.InodesPerGroup - d.UnusedInodes;
            if (index >= watermark)
            {
                int firstOfBlock = index / _geometry.InodesPerBlock * _geometry.InodesPerBlock;
                if (firstOfBlock >= watermark)
                {
                    _store.Write(d.InodeTable + (index / _geometry.InodesPerBlock), new byte[_geometry.BlockSize]);
                }

                d = d with { UnusedInodes = _geometry.InodesPerGroup - index - 1 };
            }

            Bitmap.Set(bitmap, index);
            _dirtyInodeBitmaps.Add(g);
            _dirtyDescriptors.Add(g);
            _groups[g] = d with
            {
                FreeInodes = d.FreeInodes - 1,
                Directories = d.Directories + (directory ? 1 : 0),
                Flags = d.Flags & ~GroupFlags.InodeBitmapUninit,
            };
            Superblock = Superblock with { FreeInodes = Superblock.FreeInodes - 1 };
            return ((long)g * _geometry.InodesPerGroup) + index + 1;
        }

        throw new FileSystemFullException("No free inodes left on the VexFS filesystem.");
    }

    public void FreeInode(long number, bool directory)
    {
        var (g, index) = _geometry.LocateInode(number);
        var bitmap = InodeBitmap(g);
        Bitmap.Clear(bitmap, index);
        _dirtyInodeBitmaps.Add(g);
        _dirtyDescriptors.Add(g);
        _groups[g] = _groups[g] with { FreeInodes = _groups[g].FreeInodes + 1, Directories = _groups[g].Directories - (directory ? 1 : 0) };
        Superblock = Superblock with { FreeInodes = Superblock.FreeInodes + 1 };
    }

    /// <summary>
    /// Writes the changed bitmaps, the descriptor-table blocks of the changed groups and the primary superblock
    /// through the store (a journaled transaction, or the device).
    /// </summary>
    public void WriteChanges()
    {
        int perBlock = _geometry.BlockSize / GroupDescriptor.Size;
        foreach (int g in _dirtyBlockBitmaps)
        {
            _store.Write(_groups[g].BlockBitmap, _blockBitmaps[g]);
            _groups[g] = _groups[g] with { BlockBitmapChecksum = Bitmap.Checksum(_blockBitmaps[g], g, Superblock.ChecksumSeed) };
            _dirtyDescriptorBlocks.Add(g / perBlock);
        }

        foreach (int g in _dirtyInodeBitmaps)
        {
            _store.Write(_groups[g].InodeBitmap, _inodeBitmaps[g]);
            _groups[g] = _groups[g] with { InodeBitmapChecksum = Bitmap.Checksum(_inodeBitmaps[g], g, Superblock.ChecksumSeed) };
            _dirtyDescriptorBlocks.Add(g / perBlock);
        }

        foreach (int g in _dirtyDescriptors)
        {
            _dirtyDescriptorBlocks.Add(g / perBlock);
        }

        using var buffer = SpanOwner<byte>.Allocate(_geometry.BlockSize);
        var block = buffer.Span;
        foreach (int tableBlock in _dirtyDescriptorBlocks)
        {
            long home = _geometry.DescriptorTableBlock(0) + tableBlock;
            _store.Read(home, block);
            for (int g = tableBlock * perBlock; g < Math.Min(_groups.Length, (tableBlock + 1) * perBlock); g++)
            {
                _groups[g].WriteTo(block.Slice((g % perBlock) * GroupDescriptor.Size, GroupDescriptor.Size), g, Superblock.ChecksumSeed);
            }

            _store.Write(home, block);
        }

        if (Superblock != _written)
        {
            long superblockHome = Superblock.ByteOffset / _geometry.BlockSize;
            _store.Read(superblockHome, block);
            Superblock.WriteTo(block.Slice((int)(Superblock.ByteOffset % _geometry.BlockSize), Superblock.Size));
            _store.Write(superblockHome, block);
            _written = Superblock;
        }

        _dirtyBlockBitmaps.Clear();
        _dirtyInodeBitmaps.Clear();
        _dirtyDescriptors.Clear();
        _dirtyDescriptorBlocks.Clear();
    }

    /// <summary>Writes the superblock and descriptor-table copies of the backup groups straight to the device.</summary>
    public void WriteBackups(BlockDevice device) => SuperblockCopies.WriteAll(device, _geometry, Superblock, _groups, firstGroup: 1);

    /// <summary>Changes the superblock the allocator keeps (state, times, orphan list, features), to be written with the rest.</summary>
    public void UpdateSuperblock(Func<Superblock, Superblock> change) => Superblock = change(Superblock);

    private byte[] BlockBitmap(int g)
    {
        if (_blockBitmaps.TryGetValue(g, out var bitmap))
        {
            return bitmap;
        }

        bitmap = new byte[_geometry.BlockSize];
        var d = _groups[g];
        if (_geometry.TrustsBlockBitmapUninit(g, d))
        {
            long start = _geometry.GroupStart(g);
            Bitmap.SetRange(bitmap, 0, _geometry.SuperblockAreaBlocks(g));
            Bitmap.Set(bitmap, (int)(d.BlockBitmap - start));
            Bitmap.Set(bitmap, (int)(d.InodeBitmap - start));
            Bitmap.SetRange(bitmap, (int)(d.InodeTable - start), _geometry.InodeTableBlocks);
            int blocks = _geometry.BlocksInGroup(g);
            Bitmap.SetRange(bitmap, blocks, (bitmap.Length * 8) - blocks);
        }
        else
        {
            _store.Read(d.BlockBitmap, bitmap);
        }

        // Whatever the bitmap says, the group's fixed metadata, the journal, the vector table, the MMP block and the
        // tail copy are never handed out.
        long first = _geometry.GroupStart(g);
        long end = first + _geometry.BlocksInGroup(g);
        var sb = Superblock;
        void Fixed(long start, long count) => CheckInUse(g, bitmap, Math.Max(first, start), Math.Min(end, start + count));
        CheckInUse(g, bitmap, first, first + _geometry.GroupMetadataBlocks(g));
        Fixed(sb.JournalStart, sb.JournalBlocks);
        Fixed(sb.VectorTableBlock, 1);
        if (sb.HasMultiMountProtection)
        {
            Fixed(sb.MmpBlock, 1);
        }

        CheckInUse(g, bitmap, Math.Max(first, _geometry.TailCopyBlock), end);

        _blockBitmaps[g] = bitmap;
        return bitmap;
    }

    /// <summary>Raises <see cref="InvalidFileSystemException"/> when group <paramref name="g"/>'s bitmap marks a block of fixed metadata in [from, to) free.</summary>
    private void CheckInUse(int g, byte[] bitmap, long from, long to)
    {
        long start = _geometry.GroupStart(g);
        for (long b = from; b < to; b++)
        {
            Corruption.Check(Bitmap.IsSet(bitmap, (int)(b - start)), _groups[g].BlockBitmap, $"group {g} block bitmap", $"block {b}, which holds fixed metadata, is marked free");
        }
    }

    private byte[] InodeBitmap(int g)
    {
        if (_inodeBitmaps.TryGetValue(g, out var bitmap))
        {
            return bitmap;
        }

        bitmap = new byte[_geometry.BlockSize];
        var d = _groups[g];
        if (_geometry.TrustsInodeBitmapUninit(g, d))
        {
            Bitmap.SetRange(bitmap, _geometry.InodesPerGroup, (bitmap.Length * 8) - _geometry.InodesPerGroup);
        }
        else
        {
            _store.Read(d.InodeBitmap, bitmap);
        }

        _inodeBitmaps[g] = bitmap;
        return bitmap;
    }

    /// <summary>
    /// The first item at or after <paramref name="from"/> and before <paramref name="limit"/> that is clear in
    /// <paramref name="bitmap"/> and, when given, in <paramref name="also"/> (same layout); -1 when there is none.
    /// Whole 64-bit words are skipped when they are full.
    /// </summary>
    private static int FindClear(byte[] bitmap, byte[]? also, int from, int limit)
    {
        int i = from;
        while (i < limit)
        {
            if ((i & 63) == 0 && i + 64 <= limit)
            {
                ulong used = BinaryPrimitives.ReadUInt64LittleEndian(bitmap.AsSpan(i >> 3))
                    | (also is null ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(also.AsSpan(i >> 3)));
                if (used != ulong.MaxValue)
                {
                    return i + BitOperations.TrailingZeroCount(~used);
                }

                i += 64;
                continue;
            }

            if (!Bitmap.IsSet(bitmap, i) && (also is null || !Bitmap.IsSet(also, i)))
            {
                return i;
            }

            i++;
        }

        return -1;
    }
}
