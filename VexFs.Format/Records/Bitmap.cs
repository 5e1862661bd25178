using System.Numerics;
using VexFs.Format.Checksums;

namespace VexFs.Format.Records;

/// <summary>
/// A group's block or inode bitmap: one block, bit <c>i</c> of byte <c>i / 8</c> (least significant first) set
/// when item <c>i</c> of the group is in use. Bits past the group's last item are set.
/// </summary>
internal static class Bitmap
{
    public static bool IsSet(ReadOnlySpan<byte> bitmap, int index) => (bitmap[index >> 3] & (1 << (index & 7))) != 0;

    public static void Set(Span<byte> bitmap, int index) => bitmap[index >> 3] |= (byte)(1 << (index & 7));

    public static void Clear(Span<byte> bitmap, int index) => bitmap[index >> 3] &= (byte)~(1 << (index & 7));

    public static void SetRange(Span<byte> bitmap, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            Set(bitmap, i);
        }
    }

    public static int CountSet(ReadOnlySpan<byte> bitmap, int items)
    {
        int whole = items >> 3;
        int count = 0;
        for (int i = 0; i < whole; i++)
        {
            count += BitOperations.PopCount(bitmap[i]);
        }

        for (int i = whole << 3; i < items; i++)
        {
            count += IsSet(bitmap, i) ? 1 : 0;
        }

        return count;
    }

    /// <summary>The checksum a group descriptor keeps of one of its group's bitmaps.</summary>
    public static uint Checksum(ReadOnlySpan<byte> bitmap, int group, uint seed) => Crc32C.ComputeSeeded(seed, (ulong)group, bitmap);
}
