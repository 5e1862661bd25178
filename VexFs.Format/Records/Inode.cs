using System.Buffers.Binary;
using VexFs.Format.Checksums;

namespace VexFs.Format.Records;

/// <summary>Flags of an inode.</summary>
[Flags]
internal enum InodeFlags : uint
{
    None = 0,

    /// <summary>A symbolic link whose target is stored in the extent-root area instead of a data block.</summary>
    InlineSymlink = 1 << 0,

    /// <summary>Unlinked while open: on the orphan list, reclaimed at close or at the next mount.</summary>
    Orphan = 1 << 1,

    /// <summary>
    /// A hidden inode the filesystem itself owns (a vector space's rows): named by the vector table, in no
    /// directory, with one link that the table holds.
    /// </summary>
    System = 1 << 2,
}

/// <summary>
/// An inode: a file's attributes and the root of its extent tree. Inode slots are <c>InodeSize</c> bytes
/// (256 by default) in the inode tables; an all-zero slot is free.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u16 mode (type and permission bits, as st_mode)   0x02 u16 zero
/// 0x04 u32 link count       0x08 u32 uid                0x0C u32 gid
/// 0x10 u64 size in bytes    0x18 u64 blocks charged (data, extent-tree and attribute blocks)
/// 0x20 i64 access time      0x28 i64 modification time  0x30 i64 change time   0x38 i64 creation time
///          (all in nanoseconds since 1970-01-01 UTC)
/// 0x40 u32 flags            0x44 u32 generation         0x48 u64 attribute block (0: none)
/// 0x50 u64 next orphan inode (0: none)                  0x58 u64 vector reference (0: none)
/// 0x60 u8[112] extent-tree root (<see cref="ExtentNode"/>), or an inline symbolic-link target, or for a device
///          file u32 major, u32 minor, then zeros (a pipe or socket: all zeros)
/// 0xD0 u16 bytes used in the inline attribute area      0xD2 inline attributes (<see cref="XattrEntries"/>)
/// size-4 u32 CRC32C (seed, inode number, whole slot)
/// </code>
/// </remarks>
internal sealed record Inode
{
    public const int MinSize = 256;

    /// <summary>The longest symbolic link target, in bytes (Linux's PATH_MAX).</summary>
    public const int MaxSymlinkBytes = 4096;

    public const int RootOffset = 0x60;
    public const int RootSize = 112;
    public const int InlineXattrOffset = 0xD2;
    private const int InlineXattrUsedOffset = 0xD0;

    public UnixMode Mode { get; init; }

    public int LinkCount { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    public long Size { get; init; }

    public long Blocks { get; init; }

    public long AccessTimeNs { get; init; }

    public long ModifyTimeNs { get; init; }

    public long ChangeTimeNs { get; init; }

    public long CreateTimeNs { get; init; }

    public InodeFlags Flags { get; init; }

    public uint Generation { get; init; }

    public long XattrBlock { get; init; }

    public long NextOrphan { get; init; }

    public long VectorReference { get; init; }

    /// <summary>The 112 bytes of the extent-tree root, inline symlink target or device number.</summary>
    public byte[] Root { get; init; } = new byte[RootSize];

    /// <summary>Whether <see cref="Root"/> holds an extent tree: files, directories and symbolic links not stored inline.</summary>
    public bool HasExtentTree => Mode.Type() is UnixFileType.RegularFile or UnixFileType.Directory
        || (Mode.Type() == UnixFileType.SymbolicLink && !Flags.HasFlag(InodeFlags.InlineSymlink));

    /// <summary>The device number of a device file (major, minor); zeros for anything else.</summary>
    public (uint Major, uint Minor) Device => Mode.Type().IsDevice()
        ? (BinaryPrimitives.ReadUInt32LittleEndian(Root), BinaryPrimitives.ReadUInt32LittleEndian(Root.AsSpan(4)))
        : (0, 0);

    /// <summary>The root area of a device file, pipe or socket: the device number, then zeros.</summary>
    public static byte[] SpecialRoot(uint major, uint minor)
    {
        var root = new byte[RootSize];
        BinaryPrimitives.WriteUInt32LittleEndian(root, major);
        BinaryPrimitives.WriteUInt32LittleEndian(root.AsSpan(4), minor);
        return root;
    }

    /// <summary>The encoded inline extended attributes.</summary>
    public byte[] InlineXattrs { get; init; } = [];

    public bool IsFree => Mode == 0;

    /// <summary>A new inode of inode number <paramref name="number"/>, with no data and all its times <paramref name="nowNs"/>.</summary>
    public static Inode New(long number, UnixMode mode, int links, long nowNs)
    {
        var root = new byte[RootSize];
        ExtentNode.EmptyRoot(number).WriteRoot(root);
        return new Inode
        {
            Mode = mode,
            LinkCount = links,
            AccessTimeNs = nowNs,
            ModifyTimeNs = nowNs,
            ChangeTimeNs = nowNs,
            CreateTimeNs = nowNs,
            Generation = 1,
            Root = root,
        };
    }

    /// <summary>The bytes the inline attribute area has in an inode slot of <paramref name="inodeSize"/> bytes.</summary>
    public static int InlineXattrCapacity(int inodeSize) => inodeSize - InlineXattrOffset - sizeof(uint);

    public void WriteTo(Span<byte> b, long number, int inodeSize, uint seed)
    {
        b = b[..inodeSize];
        b.Clear();
        if (IsFree)
        {
            return;
        }

        if (InlineXattrs.Length > InlineXattrCapacity(inodeSize))
        {
            throw new ArgumentException($"{InlineXattrs.Length} bytes of inline attributes do not fit a {inodeSize}-byte inode.");
        }

        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x04..], (uint)LinkCount);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x08..], Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x0C..], Gid);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x10..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x18..], Blocks);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x20..], AccessTimeNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x28..], ModifyTimeNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x30..], ChangeTimeNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x38..], CreateTimeNs);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x40..], (uint)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x44..], Generation);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x48..], XattrBlock);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x50..], NextOrphan);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x58..], VectorReference);
        Root.AsSpan(0, RootSize).CopyTo(b[RootOffset..]);
        BinaryPrimitives.WriteUInt16LittleEndian(b[InlineXattrUsedOffset..], (ushort)InlineXattrs.Length);
        InlineXattrs.CopyTo(b[InlineXattrOffset..]);
        int checksumOffset = inodeSize - sizeof(uint);
        BinaryPrimitives.WriteUInt32LittleEndian(b[checksumOffset..], Crc32C.ComputeMetadata(seed, (ulong)number, b, checksumOffset));
    }

    /// <summary>Decodes inode <paramref name="number"/>; an all-zero slot decodes as a free inode.</summary>
    public static Inode ReadFrom(ReadOnlySpan<byte> b, long number, int inodeSize, uint seed, long block)
    {
        b = b[..inodeSize];
        if (!b.ContainsAnyExcept((byte)0))
        {
            return new Inode();
        }

        int checksumOffset = inodeSize - sizeof(uint);
        Corruption.CheckChecksum(BinaryPrimitives.ReadUInt32LittleEndian(b[checksumOffset..]), Crc32C.ComputeMetadata(seed, (ulong)number, b, checksumOffset), block, $"inode {number}");
        int inlineUsed = BinaryPrimitives.ReadUInt16LittleEndian(b[InlineXattrUsedOffset..]);
        Corruption.Check(inlineUsed <= InlineXattrCapacity(inodeSize), block, $"inode {number}.inline_xattr_bytes", $"{inlineUsed} exceeds the {InlineXattrCapacity(inodeSize)}-byte area");
        var inode = new Inode
        {
            Mode = (UnixMode)BinaryPrimitives.ReadUInt16LittleEndian(b),
            LinkCount = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b[0x04..]), int.MaxValue),
            Uid = BinaryPrimitives.ReadUInt32LittleEndian(b[0x08..]),
            Gid = BinaryPrimitives.ReadUInt32LittleEndian(b[0x0C..]),
            Size = BinaryPrimitives.ReadInt64LittleEndian(b[0x10..]),
            Blocks = BinaryPrimitives.ReadInt64LittleEndian(b[0x18..]),
            AccessTimeNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x20..]),
            ModifyTimeNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x28..]),
            ChangeTimeNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x30..]),
            CreateTimeNs = BinaryPrimitives.ReadInt64LittleEndian(b[0x38..]),
            Flags = (InodeFlags)BinaryPrimitives.ReadUInt32LittleEndian(b[0x40..]),
            Generation = BinaryPrimitives.ReadUInt32LittleEndian(b[0x44..]),
            XattrBlock = BinaryPrimitives.ReadInt64LittleEndian(b[0x48..]),
            NextOrphan = BinaryPrimitives.ReadInt64LittleEndian(b[0x50..]),
            VectorReference = BinaryPrimitives.ReadInt64LittleEndian(b[0x58..]),
            Root = b.Slice(RootOffset, RootSize).ToArray(),
            InlineXattrs = b.Slice(InlineXattrOffset, inlineUsed).ToArray(),
        };
        Corruption.Check(inode.Mode.Type() != UnixFileType.Unknown, block, $"inode {number}.mode", $"mode 0{Convert.ToString((int)inode.Mode, 8)} is not a known file type");
        Corruption.Check(inode.Size >= 0, block, $"inode {number}.size", $"{inode.Size} is negative");
        Corruption.Check(inode.Blocks >= 0, block, $"inode {number}.blocks", $"{inode.Blocks} is negative");
        Corruption.Check(!inode.Flags.HasFlag(InodeFlags.InlineSymlink) || inode.Size <= RootSize, block, $"inode {number}.size", $"an inline symbolic link of {inode.Size} bytes does not fit the {RootSize}-byte root");
        Corruption.Check(inode.Mode.Type() != UnixFileType.SymbolicLink || inode.Size <= MaxSymlinkBytes, block, $"inode {number}.size", $"a symbolic link target is at most {MaxSymlinkBytes} bytes, not {inode.Size}");
        Corruption.Check(inode.XattrBlock >= 0, block, $"inode {number}.xattr_block", $"{inode.XattrBlock} is negative");
        return inode;
    }
}
