using System.Buffers.Binary;
using VexFs.Core;

namespace MountVexfs.Fuse;

/// <summary>The kernel's reply records (linux/fuse.h) this host writes, with their layouts.</summary>
internal static class Wire
{
    /// <summary>The node id the kernel gives the root of the mount.</summary>
    public const ulong RootNodeId = 1;

    // fuse_attr:
    // 0x00 u64 ino     0x08 u64 size    0x10 u64 blocks (512-byte units)   0x18 u64 atime   0x20 u64 mtime   0x28 u64 ctime
    // 0x30 u32 atimensec   0x34 u32 mtimensec   0x38 u32 ctimensec   0x3C u32 mode   0x40 u32 nlink   0x44 u32 uid
    // 0x48 u32 gid     0x4C u32 rdev    0x50 u32 blksize   0x54 u32 flags
    public const int AttrSize = 88;

    // fuse_entry_out: 0x00 u64 nodeid   0x08 u64 generation   0x10 u64 entry_valid   0x18 u64 attr_valid
    // 0x20 u32 entry_valid_nsec   0x24 u32 attr_valid_nsec   0x28 fuse_attr
    public const int EntryOutSize = 40 + AttrSize;

    // fuse_attr_out: 0x00 u64 attr_valid   0x08 u32 attr_valid_nsec   0x0C u32 dummy   0x10 fuse_attr
    public const int AttrOutSize = 16 + AttrSize;

    // fuse_open_out: 0x00 u64 fh   0x08 u32 open_flags   0x0C u32 padding
    public const int OpenOutSize = 16;

    // fuse_dirent: 0x00 u64 ino   0x08 u64 off   0x10 u32 namelen   0x14 u32 type   0x18 name, padded to 8 bytes
    public const int DirentHeaderSize = 24;

    public const uint OpenKeepCache = 1 << 1;

    /// <summary>
    /// FOPEN_NOFLUSH (7.35): close sends no FLUSH, which this host has nothing to do for; with the writeback cache
    /// the kernel sends it anyway (its dirty pages go first, and close reports their errors).
    /// </summary>
    public const uint OpenNoFlush = 1 << 5;

    /// <summary>How long the kernel may keep a name or attributes without asking again: every change goes through it.</summary>
    public const ulong ValidSeconds = 1;

    public static void WriteAttr(Span<byte> s, in VexFileInfo info, int blockSize)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)info.Inode);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x08..], (ulong)info.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x10..], (ulong)(info.Blocks * (blockSize / 512)));
        WriteTime(s[0x18..], s[0x30..], info.AccessedTime);
        WriteTime(s[0x20..], s[0x34..], info.ModifiedTime);
        WriteTime(s[0x28..], s[0x38..], info.ChangedTime);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x3C..], (uint)info.Type | (uint)info.Permissions);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x40..], (uint)info.LinkCount);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x44..], info.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x48..], info.Gid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x4C..], EncodeDevice(info.DeviceMajor, info.DeviceMinor));
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x50..], (uint)blockSize);
    }

    public static void WriteEntry(Span<byte> s, ulong nodeId, ulong generation, in VexFileInfo info, int blockSize)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(s, nodeId);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x08..], generation);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x10..], ValidSeconds);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x18..], ValidSeconds);
        WriteAttr(s[0x28..], info, blockSize);
    }

    public static void WriteAttrOut(Span<byte> s, in VexFileInfo info, int blockSize)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(s, ValidSeconds);
        WriteAttr(s[0x10..], info, blockSize);
    }

    public static void WriteOpenOut(Span<byte> s, ulong handle, uint flags)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(s, handle);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x08..], flags);
    }

    /// <summary>The size of a fuse_dirent with a name of <paramref name="nameBytes"/> bytes, padded to 8.</summary>
    public static int DirentSize(int nameBytes) => (DirentHeaderSize + nameBytes + 7) & ~7;

    /// <summary>Writes a fuse_dirent; <paramref name="s"/> is exactly <see cref="DirentSize"/> long and zeroed.</summary>
    public static void WriteDirent(Span<byte> s, long inode, long nextOffset, string name, int nameBytes, uint type)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)inode);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x08..], (ulong)nextOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x10..], (uint)nameBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x14..], type);
        Names.Encode(name, s.Slice(DirentHeaderSize, nameBytes));
    }

    /// <summary>The kernel's dev_t encoding (new_encode_dev) of a device number.</summary>
    public static uint EncodeDevice(uint major, uint minor) => (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFFu) << 12);

    public static (uint Major, uint Minor) DecodeDevice(uint device) => ((device & 0xFFF00) >> 8, (device & 0xFF) | ((device >> 12) & 0xFFF00));

    /// <summary>Nanoseconds since the epoch of a time on the wire.</summary>
    public static DateTimeOffset Time(ulong seconds, uint nanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(((long)seconds * TimeSpan.TicksPerSecond) + (nanoseconds / TimeSpan.NanosecondsPerTick));

    private static void WriteTime(Span<byte> seconds, Span<byte> nanoseconds, DateTimeOffset time)
    {
        long ticks = (time - DateTimeOffset.UnixEpoch).Ticks;
        long whole = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            whole--;
            rest += TimeSpan.TicksPerSecond;
        }

        BinaryPrimitives.WriteInt64LittleEndian(seconds, whole);
        BinaryPrimitives.WriteUInt32LittleEndian(nanoseconds, (uint)(rest * TimeSpan.NanosecondsPerTick));
    }
}
