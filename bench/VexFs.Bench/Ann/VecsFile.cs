using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace VexFs.Bench.Ann;

/// <summary>Reads the .fvecs / .ivecs formats: per row, a little-endian int32 dimension and that many values.</summary>
internal static class VecsFile
{
    public static float[][] ReadFloats(string path) => Read<float>(path, static (bytes, row) => MemoryMarshal.Cast<byte, float>(bytes).CopyTo(row));

    public static int[][] ReadInts(string path) => Read<int>(path, static (bytes, row) => MemoryMarshal.Cast<byte, int>(bytes).CopyTo(row));

    /// <summary>Reads row by row, so that a file of any length (1M x 1024 is 4 GB) is read without one array of it all.</summary>
    private static T[][] Read<T>(string path, RowDecoder<T> decode)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Span<byte> header = stackalloc byte[4];
        if (file.Length < 4)
        {
            throw new InvalidDataException($"{path}: too short for a vecs file");
        }

        file.ReadExactly(header);
        var dim = BinaryPrimitives.ReadInt32LittleEndian(header);
        long rowBytes = 4 + (4L * dim);
        if (dim <= 0 || file.Length % rowBytes != 0)
        {
            throw new InvalidDataException($"{path}: dimension {dim} does not divide the file length {file.Length}");
        }

        file.Position = 0;
        var rows = new T[file.Length / rowBytes][];
        var buffer = new byte[rowBytes];
        for (var r = 0; r < rows.Length; r++)
        {
            file.ReadExactly(buffer);
            if (BinaryPrimitives.ReadInt32LittleEndian(buffer) != dim)
            {
                throw new InvalidDataException($"{path}: row {r} has a different dimension");
            }

            rows[r] = new T[dim];
            decode(buffer.AsSpan(4), rows[r]);
        }

        return rows;
    }

    private delegate void RowDecoder<T>(ReadOnlySpan<byte> bytes, T[] row);
}
