using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace VexFs.Format.Checksums;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every metadata record, computed with the processor's CRC32
/// instruction where there is one (<see cref="BitOperations.Crc32C(uint, ulong)"/>).
/// </summary>
internal static class Crc32C
{
    private const uint Seed = 0xFFFFFFFF;

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(Seed, data);

    /// <summary>
    /// The checksum of a record whose checksum field, at <paramref name="fieldOffset"/>, counts as zeros.
    /// </summary>
    public static uint ComputeSkipping(ReadOnlySpan<byte> record, int fieldOffset)
    {
        uint crc = Update(Seed, record[..fieldOffset]);
        crc = BitOperations.Crc32C(crc, 0u);
        return ~Update(crc, record[(fieldOffset + sizeof(uint))..]);
    }

    /// <summary>
    /// The checksum of a metadata record: seeded with the filesystem's checksum seed and the record's location
    /// (a block or inode number), so that a record written to the wrong place or copied from another
    /// filesystem does not verify. The checksum field at <paramref name="fieldOffset"/> counts as zeros.
    /// </summary>
    public static uint ComputeMetadata(uint seed, ulong location, ReadOnlySpan<byte> record, int fieldOffset)
    {
        uint crc = BitOperations.Crc32C(~seed, location);
        crc = Update(crc, record[..fieldOffset]);
        crc = BitOperations.Crc32C(crc, 0u);
        return ~Update(crc, record[(fieldOffset + sizeof(uint))..]);
    }

    /// <summary>The checksum of <paramref name="data"/>, seeded like a metadata record, with no field skipped.</summary>
    public static uint ComputeSeeded(uint seed, ulong location, ReadOnlySpan<byte> data) =>
        ~Update(BitOperations.Crc32C(~seed, location), data);

    /// <summary>The bytes each of the three interleaved streams covers (170 words): three of them fill a 4 KiB block.</summary>
    private const int StreamBytes = 1360;

    /// <summary>Advances a CRC register over <see cref="StreamBytes"/> and twice as many zero bytes (four byte-indexed tables each).</summary>
    private static readonly uint[] ShiftOnce = ShiftTable(StreamBytes);
    private static readonly uint[] ShiftTwice = ShiftTable(2 * StreamBytes);

    /// <summary>
    /// Runs the CRC register over <paramref name="data"/>. The CRC32 instruction takes three cycles but can
    /// start one every cycle, so long inputs are cut into three streams computed side by side and joined by
    /// linearity: the register after A‖B‖C is shift(a, |B|+|C|) ⊕ shift(b, |C|) ⊕ c, where a starts from the
    /// incoming register, b and c from zero, and shift advances a register over zero bytes (Intel's method for
    /// iSCSI CRCs). Compiled optimized at once: every metadata block passes through here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 3 * StreamBytes)
        {
            var first = data[..StreamBytes];
            var second = data.Slice(StreamBytes, StreamBytes);
            var third = data.Slice(2 * StreamBytes, StreamBytes);
            uint a = crc;
            uint b = 0;
            uint c = 0;
            for (int i = 0; i < StreamBytes; i += sizeof(ulong))
            {
                a = BitOperations.Crc32C(a, BinaryPrimitives.ReadUInt64LittleEndian(first[i..]));
                b = BitOperations.Crc32C(b, BinaryPrimitives.ReadUInt64LittleEndian(second[i..]));
                c = BitOperations.Crc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(third[i..]));
            }

            crc = Shift(ShiftTwice, a) ^ Shift(ShiftOnce, b) ^ c;
            data = data[(3 * StreamBytes)..];
        }

        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] table, uint register) =>
        table[register & 0xFF] ^ table[256 + ((register >> 8) & 0xFF)] ^ table[512 + ((register >> 16) & 0xFF)] ^ table[768 + (register >> 24)];

    /// <summary>
    /// The tables that advance a register over <paramref name="zeroBytes"/> zero bytes, one per register byte:
    /// advancing is linear, so each entry is the XOR of the advanced single-bit registers it is made of.
    /// </summary>
    private static uint[] ShiftTable(int zeroBytes)
    {
        Span<uint> bits = stackalloc uint[32];
        for (int bit = 0; bit < 32; bit++)
        {
            uint register = 1u << bit;
            for (int i = 0; i < zeroBytes; i += sizeof(ulong))
            {
                register = BitOperations.Crc32C(register, 0UL);
            }

            bits[bit] = register;
        }

        var table = new uint[4 * 256];
        for (int part = 0; part < 4; part++)
        {
            for (int value = 1; value < 256; value++)
            {
                int low = value & -value;
                table[(part * 256) + value] = table[(part * 256) + (value ^ low)] ^ bits[(part * 8) + BitOperations.TrailingZeroCount(low)];
            }
        }

        return table;
    }
}
