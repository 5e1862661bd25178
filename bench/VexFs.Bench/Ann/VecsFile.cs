using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace VexFs.Bench.Ann;

/// <summary>Reads the .fvecs / .ivecs formats: per row, a little-endian int32 dimension and that many values.</summary>
internal static class VecsFile
{
    public static float[][] ReadFloats(string path) => Read<float>(path, static (bytes, row) => MemoryMarshal.Cast<byte, float>(bytes).CopyTo(row));

    public static int[][] ReadInts(string path) => Read<int>(path, static (bytes, row) => MemoryMarshal.Cast<byte, int>(bytes).CopyTo(row));

    private static T[][] Read<T>(string path, RowDecoder<T> decode)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 4)
        {
            throw new InvalidDataException($"{path}: too short for a vecs file");
        }

        var dim = BinaryPrimitives.ReadInt32LittleEndian(data);
        var rowBytes = 4 + (4 * dim);
        if (dim <= 0 || data.Length % rowBytes != 0)
        {
            throw new InvalidDataException($"{path}: dimension {dim} does not divide the file length {data.Length}");
        }

        var rows = new T[data.Length / rowBytes][];
        for (var r = 0; r < rows.Length; r++)
        {
            var offset = r * rowBytes;
            if (BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset)) != dim)
            {
                throw new InvalidDataException($"{path}: row {r} has a different dimension");
            }

            rows[r] = new T[dim];
            decode(data.AsSpan(offset + 4, 4 * dim), rows[r]);
        }

        return rows;
    }

    private delegate void RowDecoder<T>(ReadOnlySpan<byte> bytes, T[] row);
}
