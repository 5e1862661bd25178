using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace VexFs.BlockDevices.Linux;

/// <summary>The fields of <c>struct statx</c> that the devices and the directory importer use.</summary>
/// <remarks>
/// The kernel's layout is the same on every architecture:
/// <code>
/// 0x00 u32 stx_mask           0x10 u32 stx_nlink         0x14 u32 stx_uid       0x18 u32 stx_gid
/// 0x1C u16 stx_mode           0x20 u64 stx_ino           0x28 u64 stx_size      0x30 u64 stx_blocks
/// 0x40 stx_atime, 0x70 stx_mtime (each i64 seconds, u32 nanoseconds, 4 bytes padding)
/// 0x80 u32 stx_rdev_major     0x84 u32 stx_rdev_minor    0x88 u32 stx_dev_major 0x8C u32 stx_dev_minor
/// 0x98 u32 stx_dio_mem_align  0x9C u32 stx_dio_offset_align   (0x100 bytes in all)
/// </code>
/// </remarks>
internal readonly record struct FileStatus(uint Mask, int Mode, long Size, long AllocatedBytes, uint RdevMajor, uint RdevMinor, int DioMemoryAlignment, int DioOffsetAlignment)
{
    /// <summary>The number of hard links.</summary>
    public int LinkCount { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>The device and inode numbers, which together name the file on the host.</summary>
    public (ulong Device, ulong Inode) Identity { get; init; }

    /// <summary>The access time in nanoseconds since 1970.</summary>
    public long AccessTimeNs { get; init; }

    /// <summary>The modification time in nanoseconds since 1970.</summary>
    public long ModifyTimeNs { get; init; }

    private const int BufferSize = 0x100;
    private const int TypeMask = 0xF000;
    private const int BlockDeviceType = 0x6000;
    private const int RegularFileType = 0x8000;

    public bool IsBlockDevice => (Mode & TypeMask) == BlockDeviceType;

    public bool IsRegularFile => (Mode & TypeMask) == RegularFileType;

    public bool HasDioAlignment => (Mask & LinuxNative.StatxDioAlign) != 0 && DioOffsetAlignment > 0;

    public static unsafe FileStatus Of(string path)
    {
        byte* buffer = stackalloc byte[BufferSize];
        LinuxNative.Check(LinuxNative.Statx(LinuxNative.AtFdCwd, path, 0, LinuxNative.StatxBasicStats | LinuxNative.StatxDioAlign, buffer), $"Cannot stat '{path}'");
        return Decode(new ReadOnlySpan<byte>(buffer, BufferSize));
    }

    /// <summary>The status of <paramref name="path"/> itself: a symbolic link is not followed.</summary>
    public static unsafe FileStatus OfLink(string path)
    {
        byte* buffer = stackalloc byte[BufferSize];
        LinuxNative.Check(LinuxNative.Statx(LinuxNative.AtFdCwd, path, LinuxNative.AtSymlinkNoFollow, LinuxNative.StatxBasicStats, buffer), $"Cannot stat '{path}'");
        return Decode(new ReadOnlySpan<byte>(buffer, BufferSize));
    }

    public static unsafe FileStatus Of(SafeFileHandle handle, string path)
    {
        byte* buffer = stackalloc byte[BufferSize];
        LinuxNative.Check(LinuxNative.Statx(handle, string.Empty, LinuxNative.AtEmptyPath, LinuxNative.StatxBasicStats | LinuxNative.StatxDioAlign, buffer), $"Cannot stat '{path}'");
        return Decode(new ReadOnlySpan<byte>(buffer, BufferSize));
    }

    private static FileStatus Decode(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(b),
        BinaryPrimitives.ReadUInt16LittleEndian(b[0x1C..]),
        BinaryPrimitives.ReadInt64LittleEndian(b[0x28..]),
        BinaryPrimitives.ReadInt64LittleEndian(b[0x30..]) * 512,
        BinaryPrimitives.ReadUInt32LittleEndian(b[0x80..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[0x84..]),
        (int)BinaryPrimitives.ReadUInt32LittleEndian(b[0x98..]),
        (int)BinaryPrimitives.ReadUInt32LittleEndian(b[0x9C..]))
    {
        LinkCount = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(b[0x10..])),
        Uid = BinaryPrimitives.ReadUInt32LittleEndian(b[0x14..]),
        Gid = BinaryPrimitives.ReadUInt32LittleEndian(b[0x18..]),
        Identity = (((ulong)BinaryPrimitives.ReadUInt32LittleEndian(b[0x88..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(b[0x8C..]), BinaryPrimitives.ReadUInt64LittleEndian(b[0x20..])),
        AccessTimeNs = Nanoseconds(b[0x40..]),
        ModifyTimeNs = Nanoseconds(b[0x70..]),
    };

    private static long Nanoseconds(ReadOnlySpan<byte> timestamp) =>
        (BinaryPrimitives.ReadInt64LittleEndian(timestamp) * 1_000_000_000) + BinaryPrimitives.ReadUInt32LittleEndian(timestamp[8..]);
}
