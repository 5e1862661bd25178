using System.Buffers.Binary;
using System.Text;
using VexFs.Vectors;

namespace VexFs.Samples;

/// <summary>
/// struct vexfs_spaces: one page of the mount's vector spaces, out of the list ioctl
/// (<see cref="VectorIoctl.ListSpaces"/>) on any descriptor of the mount. The caller asks from rank <c>first</c> and
/// calls again with the next <c>first</c> while spaces remain; spaces come in the order of their names.
/// </summary>
internal static class SpaceListMessage
{
    // 0x00 u32 version (VectorIoctl.Version)
    // 0x04 u32 flags, 0
    // 0x08 u8[64] zero
    // 0x48 u32 first (in): the rank of the first space this page answers
    // 0x4C u32 total (out): the spaces of the filesystem
    // 0x50 u32 count (out): the spaces in this page
    // 0x54 u32 reserved, 0
    // 0x58 count entries of 96 bytes:
    //      0x00 u8[64] name, UTF-8, NUL-padded   0x40 u32 dimension   0x44 u32 metric (as SpaceMessage)
    //      0x48 u64 vectors   0x50 u64 index generation (saves)   0x58 u64 changes since the last save
    private const int EntriesOffset = 0x58;
    private const int EntrySize = 96;

    /// <summary>The most spaces one page answers.</summary>
    public const int Capacity = (VectorIoctl.Size - EntriesOffset) / EntrySize;

    /// <summary>Writes the question: the page from rank <paramref name="first"/>.</summary>
    public static void WriteQuestion(Span<byte> message, int first)
    {
        message[..VectorIoctl.Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(message, VectorIoctl.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x48..], (uint)first);
    }

    /// <summary>The rank the question asks from.</summary>
    public static int First(ReadOnlySpan<byte> message) =>
        (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(message[0x48..]), int.MaxValue);

    /// <summary>Writes the answer over the question: the total and the page's spaces.</summary>
    public static void WriteAnswer(Span<byte> message, int total, ReadOnlySpan<SpaceEntry> spaces)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x4C..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x50..], (uint)spaces.Length);
        var payload = message[EntriesOffset..VectorIoctl.Size];
        payload.Clear();
        for (int i = 0; i < spaces.Length; i++)
        {
            var entry = payload.Slice(i * EntrySize, EntrySize);
            var s = spaces[i];
            Encoding.UTF8.GetBytes(s.Name, entry[..(VectorIoctl.SpaceBytes - 1)]);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[0x40..], (uint)s.Dimension);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[0x44..], (uint)s.Metric);
            BinaryPrimitives.WriteInt64LittleEndian(entry[0x48..], s.Vectors);
            BinaryPrimitives.WriteInt64LittleEndian(entry[0x50..], s.IndexGeneration);
            BinaryPrimitives.WriteInt64LittleEndian(entry[0x58..], s.UnsavedChanges);
        }
    }

    /// <summary>Reads an answer: the total and the page's spaces.</summary>
    /// <exception cref="ArgumentException">The page claims more spaces than a message holds.</exception>
    public static (int Total, SpaceEntry[] Spaces) ReadAnswer(ReadOnlySpan<byte> message)
    {
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(message[0x4C..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(message[0x50..]);
        if (count > Capacity || total > int.MaxValue)
        {
            throw new ArgumentException($"A space list answers {count} spaces of {total}; a page holds {Capacity}.");
        }

        var spaces = new SpaceEntry[count];
        for (int i = 0; i < spaces.Length; i++)
        {
            var entry = message.Slice(EntriesOffset + (i * EntrySize), EntrySize);
            var name = entry[..VectorIoctl.SpaceBytes];
            int end = name.IndexOf((byte)0);
            spaces[i] = new SpaceEntry(
                Encoding.UTF8.GetString(end < 0 ? name : name[..end]),
                (int)BinaryPrimitives.ReadUInt32LittleEndian(entry[0x40..]),
                (VectorMetric)BinaryPrimitives.ReadUInt32LittleEndian(entry[0x44..]),
                BinaryPrimitives.ReadInt64LittleEndian(entry[0x48..]),
                BinaryPrimitives.ReadInt64LittleEndian(entry[0x50..]),
                BinaryPrimitives.ReadInt64LittleEndian(entry[0x58..]));
        }

        return ((int)total, spaces);
    }
}

/// <summary>A vector space as the list ioctl describes it.</summary>
internal readonly record struct SpaceEntry(string Name, int Dimension, VectorMetric Metric, long Vectors, long IndexGeneration, long UnsavedChanges);
