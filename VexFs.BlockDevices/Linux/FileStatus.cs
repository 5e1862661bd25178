using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace VexFs.BlockDevices.Linux;

/// <summary>The fields of <c>struct statx</c> that the devices use.</summary>
/// <remarks>
/// The kernel's layout is the same on every architecture:
/// <code>
/// 0x00 u32 stx_mask           0x1C u16 stx_mode          0x28 u64 stx_size      0x30 u64 stx_blocks
/// 0x80 u32 stx_rdev_major     0x84 u32 stx_rdev_minor
/// 0x98 u32 stx_dio_mem_align  0x9C u32 stx_dio_offset_align   (0x100 bytes in all)
/// </code>
/// </remarks>
internal readonly record struct FileStatus(uint Mask, int Mode, long Size, long AllocatedBytes, uint RdevMajor, uint RdevMinor, int DioMemoryAlignment, int DioOffsetAlignment)
{
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
        (int)BinaryPrimitives.ReadUInt32LittleEndian(b[0x9C..]));
}
