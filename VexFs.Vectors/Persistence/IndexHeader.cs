using System.Buffers.Binary;
using System.IO.Hashing;

namespace VexFs.Vectors.Persistence;

/// <summary>
/// The record in page 0 that describes a persisted graph index and locates its data pages.
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u32 magic "VXHN"
/// // 0x04 u16 format version
/// // 0x06 u16 header size
/// // 0x08 u32 page size
/// // 0x0C u8  metric
/// // 0x0D u8  quantization (0 none, 1 int8, 3 binary)
/// // 0x0E u8  quantizer trained (0 or 1)
/// // 0x0F u8  vectors kept by the owner (0 or 1): the data holds no float vectors
/// // 0x10 i32 dimension
/// // 0x14 i32 M
/// // 0x18 i32 efConstruction
/// // 0x1C i32 efSearch
/// // 0x20 i32 seed
/// // 0x24 i32 quantization training size
/// // 0x28 i32 slot count
/// // 0x2C i32 entry slot (-1 when empty)
/// // 0x30 i32 top level (-1 when empty)
/// // 0x34 u32 reserved, zero
/// // 0x38 i64 first data page
/// // 0x40 i64 data page count
/// // 0x48 i64 data byte length
/// // 0x50 .. 0x7B reserved, zero
/// // 0x7C u32 CRC-32C of bytes 0x00..0x7B
/// </code>
/// </remarks>
internal readonly record struct IndexHeader(
    int PageSize,
    byte Metric,
    byte Quantization,
    bool QuantizerTrained,
    bool OwnerKeepsVectors,
    int Dimension,
    int M,
    int EfConstruction,
    int EfSearch,
    int Seed,
    int TrainingSize,
    int SlotCount,
    int EntrySlot,
    int TopLevel,
    long FirstDataPage,
    long DataPageCount,
    long DataLength)
{
    public const int Size = 0x80;
    public const uint Magic = 0x4E485856; // "VXHN" little-endian
    public const ushort Version = 1;

    public void WriteTo(Span<byte> destination)
    {
        var b = destination[..Size];
        b.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x04..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x06..], Size);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x08..], PageSize);
        b[0x0C] = Metric;
        b[0x0D] = Quantization;
        b[0x0E] = QuantizerTrained ? (byte)1 : (byte)0;
        b[0x0F] = OwnerKeepsVectors ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(b[0x10..], Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x14..], M);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x18..], EfConstruction);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x1C..], EfSearch);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x20..], Seed);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x24..], TrainingSize);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x28..], SlotCount);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x2C..], EntrySlot);
        BinaryPrimitives.WriteInt32LittleEndian(b[0x30..], TopLevel);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x38..], FirstDataPage);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x40..], DataPageCount);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x48..], DataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x7C..], Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, b[..0x7C]));
    }

    /// <summary>Decodes and checks the header; every field that sizes an allocation or a loop is validated here or by the loader.</summary>
    public static IndexHeader ReadFrom(ReadOnlySpan<byte> source, long pageNumber)
    {
        var b = source[..Size];
        if (BinaryPrimitives.ReadUInt32LittleEndian(b) != Magic)
        {
            throw new CorruptIndexException(pageNumber, "magic", "not a vector index header");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(b[0x7C..]) != Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, b[..0x7C]))
        {
            throw new CorruptIndexException(pageNumber, "checksum", "the header checksum does not match");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(b[0x04..]);
        if (version != Version)
        {
            throw new CorruptIndexException(pageNumber, "version", $"format version {version} is not supported");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(b[0x06..]) != Size)
        {
            throw new CorruptIndexException(pageNumber, "header size", "unexpected header size");
        }

        return new IndexHeader(
            BinaryPrimitives.ReadInt32LittleEndian(b[0x08..]),
            b[0x0C],
            b[0x0D],
            b[0x0E] switch
            {
                0 => false,
                1 => true,
                _ => throw new CorruptIndexException(pageNumber, "quantizer trained", "not a boolean"),
            },
            b[0x0F] switch
            {
                0 => false,
                1 => true,
                _ => throw new CorruptIndexException(pageNumber, "vectors kept by the owner", "not a boolean"),
            },
            BinaryPrimitives.ReadInt32LittleEndian(b[0x10..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x14..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x18..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x1C..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x20..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x24..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x28..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x2C..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[0x30..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[0x38..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[0x40..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[0x48..]));
    }
}
