using System.Buffers.Binary;
using System.Text;

namespace VexFs.Format.Records;

/// <summary>
/// The encoding of a list of extended attributes, used by the inline area of an inode and by attribute
/// blocks alike: entries packed back to back, in name order.
/// </summary>
/// <remarks>
/// <code>
/// per entry: u8 name length (1-255), u16 value length, name (UTF-8, e.g. "user.tag"), value
/// </code>
/// </remarks>
internal static class XattrEntries
{
    public const int EntryHeaderSize = 3;
    public const int MaxNameBytes = 255;

    public static int EncodedSize(IEnumerable<KeyValuePair<string, byte[]>> attributes) =>
        attributes.Sum(a => EntryHeaderSize + Encoding.UTF8.GetByteCount(a.Key) + a.Value.Length);

    public static int Write(Span<byte> b, IEnumerable<KeyValuePair<string, byte[]>> attributes)
    {
        int at = 0;
        foreach (var (name, value) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            int nameBytes = Encoding.UTF8.GetByteCount(name);
            if (nameBytes is 0 or > MaxNameBytes || value.Length > ushort.MaxValue)
            {
                throw new ArgumentException($"The attribute '{name}' has a name of {nameBytes} bytes or a value of {value.Length} bytes.");
            }

            b[at] = (byte)nameBytes;
            BinaryPrimitives.WriteUInt16LittleEndian(b[(at + 1)..], (ushort)value.Length);
            Encoding.UTF8.GetBytes(name, b[(at + EntryHeaderSize)..]);
            value.CopyTo(b[(at + EntryHeaderSize + nameBytes)..]);
            at += EntryHeaderSize + nameBytes + value.Length;
        }

        return at;
    }

    public static SortedDictionary<string, byte[]> Read(ReadOnlySpan<byte> b, long block, string field)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        int at = 0;
        while (at < b.Length)
        {
            Corruption.Check(b.Length - at >= EntryHeaderSize, block, field, $"a truncated entry at byte {at}");
            int nameBytes = b[at];
            int valueBytes = BinaryPrimitives.ReadUInt16LittleEndian(b[(at + 1)..]);
            Corruption.Check(nameBytes > 0 && b.Length - at - EntryHeaderSize >= nameBytes + valueBytes, block, field, $"the entry at byte {at} runs past the attribute area");
            var nameSpan = b.Slice(at + EntryHeaderSize, nameBytes);
            Corruption.Check(System.Text.Unicode.Utf8.IsValid(nameSpan) && !nameSpan.Contains((byte)0), block, field, $"the name of the entry at byte {at} is not UTF-8 without NUL");
            string name = Encoding.UTF8.GetString(nameSpan);
            Corruption.Check(result.TryAdd(name, b.Slice(at + EntryHeaderSize + nameBytes, valueBytes).ToArray()), block, field, $"the attribute '{name}' appears twice");
            at += EntryHeaderSize + nameBytes + valueBytes;
        }

        return result;
    }
}
