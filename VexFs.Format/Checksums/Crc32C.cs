using System.Buffers.Binary;
using System.Numerics;

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

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
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
}
