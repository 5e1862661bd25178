using System.Buffers.Binary;
using System.IO.Hashing;

namespace VexFs.Vectors.Persistence;

/// <summary>
/// The header of each data page. Data pages carry one byte stream, split into payloads, each checked on
/// its own so that a corrupt page is named.
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u32 magic "VXPG"
/// // 0x04 u32 sequence number of the page within the stream
/// // 0x08 u32 payload length
/// // 0x0C u32 CRC-32C of bytes 0x00..0x0B and of the payload
/// // 0x10 ... payload
/// </code>
/// </remarks>
internal static class DataPageHeader
{
    public const int Size = 0x10;
    public const uint Magic = 0x47505856; // "VXPG" little-endian

    public static void Seal(Span<byte> page, uint sequence, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(page, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(page[0x04..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(page[0x08..], (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(page[0x0C..], Checksum(page, payloadLength));
    }

    /// <summary>Checks a page and returns its payload length.</summary>
    public static int Verify(ReadOnlySpan<byte> page, long pageNumber, uint sequence)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(page) != Magic)
        {
            throw new CorruptIndexException(pageNumber, "page magic", "not a vector index data page");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(page[0x08..]);
        if (length > (uint)(page.Length - Size))
        {
            throw new CorruptIndexException(pageNumber, "payload length", $"{length} bytes do not fit in the page");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(page[0x0C..]) != Checksum(page, (int)length))
        {
            throw new CorruptIndexException(pageNumber, "page checksum", "the page checksum does not match");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(page[0x04..]) != sequence)
        {
            throw new CorruptIndexException(pageNumber, "sequence", "the page is out of place in the data stream");
        }

        return (int)length;
    }

    [ThreadStatic]
    private static Crc32? _crc;

    private static uint Checksum(ReadOnlySpan<byte> page, int payloadLength)
    {
        var crc = _crc ??= new Crc32(Crc32ParameterSet.Crc32C);
        crc.Reset();
        crc.Append(page[..0x0C]);
        crc.Append(page.Slice(Size, payloadLength));
        return crc.GetCurrentHashAsUInt32();
    }
}
