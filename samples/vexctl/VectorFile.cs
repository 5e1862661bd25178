using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using VexFs.Vectors;

namespace VexCtl;

/// <summary>
/// A file of float32 vectors, all of one dimension: <c>.fvecs</c> (each vector its dimension as int32, then its
/// components) or NumPy's <c>.npy</c> (a 2-D little-endian float32 array in C order, one vector a row).
/// </summary>
internal sealed class VectorFile
{
    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private readonly bool _fvecs;

    private VectorFile(string path, bool fvecs, long dataOffset, long count, int dimension)
    {
        Path = path;
        _fvecs = fvecs;
        DataOffset = dataOffset;
        Count = count;
        Dimension = dimension;
    }

    public string Path { get; }

    /// <summary>How many vectors the file holds.</summary>
    public long Count { get; }

    /// <summary>The components of each vector.</summary>
    public int Dimension { get; }

    private long DataOffset { get; }

    private long Stride => (_fvecs ? 4 : 0) + (4L * Dimension);

    /// <summary>Reads the file's header (the first vector's for .fvecs) and checks that its length agrees with it.</summary>
    /// <exception cref="FormatException">The file is neither, or not one this reads (another element type, not 2-D, Fortran order).</exception>
    public static VectorFile Open(string path)
    {
        using var file = File.OpenRead(path);
        var head = new byte[NpyMagic.Length];
        int read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var vectors = read == head.Length && head.AsSpan().SequenceEqual(NpyMagic) ? OpenNpy(path, file) : OpenFvecs(path, file);
        if (vectors.DataOffset + (vectors.Count * vectors.Stride) != file.Length)
        {
            throw new FormatException($"'{path}' is {file.Length} bytes, not the {vectors.DataOffset + (vectors.Count * vectors.Stride)} that {vectors.Count} vectors of {vectors.Dimension} components take.");
        }

        return vectors;
    }

    /// <summary>Every vector, first to last, read as they are used.</summary>
    public IEnumerable<float[]> Rows()
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        file.Position = DataOffset;
        var record = new byte[Stride];
        for (long row = 0; row < Count; row++)
        {
            file.ReadExactly(record);
            yield return Decode(record, row);
        }
    }

    /// <summary>Vector <paramref name="row"/> (0 is the first).</summary>
    public float[] Row(long row)
    {
        if (row < 0 || row >= Count)
        {
            throw new ArgumentException($"'{Path}' holds {Count} vectors; there is no row {row}.");
        }

        using var file = File.OpenRead(Path);
        file.Position = DataOffset + (row * Stride);
        var record = new byte[Stride];
        file.ReadExactly(record);
        return Decode(record, row);
    }

    private float[] Decode(byte[] record, long row)
    {
        var components = record.AsSpan(_fvecs ? 4 : 0);
        if (_fvecs && BinaryPrimitives.ReadInt32LittleEndian(record) != Dimension)
        {
            throw new FormatException($"'{Path}': vector {row} has {BinaryPrimitives.ReadInt32LittleEndian(record)} components where the first has {Dimension}.");
        }

        var vector = new float[Dimension];
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(components[(4 * i)..]);
        }

        return vector;
    }

    private static VectorFile OpenFvecs(string path, FileStream file)
    {
        int dimension = file.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(ReadAt(file, 0, 4)) : 0;
        if (dimension is < 1 or > VectorSpace.MaxDimension)
        {
            throw new FormatException($"'{path}' is neither .npy nor .fvecs: as .fvecs its first vector would have {dimension} components (1 to {VectorSpace.MaxDimension}).");
        }

        return new VectorFile(path, fvecs: true, 0, file.Length / (4 + (4L * dimension)), dimension);
    }

    // The header: magic, version (major, minor), its length (u16 in version 1, u32 in 2 and 3), then a Python
    // dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }.
    private static VectorFile OpenNpy(string path, FileStream file)
    {
        var version = ReadAt(file, 6, 2);
        int lengthBytes = version[0] == 1 ? 2 : 4;
        var lengthField = ReadAt(file, 8, lengthBytes);
        long headerLength = lengthBytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (version[0] is < 1 or > 3 || headerLength > 1 << 16)
        {
            throw new FormatException($"'{path}' is a .npy file of a version this does not read ({version[0]}.{version[1]}).");
        }

        string header = Encoding.Latin1.GetString(ReadAt(file, 8 + lengthBytes, (int)headerLength));
        string descr = HeaderField(path, header, "descr", "'([^']*)'");
        if (descr is not "<f4")
        {
            throw new FormatException($"'{path}' holds '{descr}' elements; import takes float32 ('<f4'): convert with array.astype('<f4').");
        }

        if (HeaderField(path, header, "fortran_order", "(True|False)") == "True")
        {
            throw new FormatException($"'{path}' is in Fortran order; import takes C order: save numpy.ascontiguousarray(array).");
        }

        var shape = HeaderField(path, header, "shape", @"\(([^)]*)\)").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (shape.Length != 2)
        {
            throw new FormatException($"'{path}' holds a {shape.Length}-D array; import takes 2-D (one vector a row).");
        }

        long count = long.Parse(shape[0], NumberStyles.None, CultureInfo.InvariantCulture);
        int dimension = int.Parse(shape[1], NumberStyles.None, CultureInfo.InvariantCulture);
        if (dimension is < 1 or > VectorSpace.MaxDimension)
        {
            throw new FormatException($"'{path}' holds vectors of {dimension} components; a vector space takes 1 to {VectorSpace.MaxDimension}.");
        }

        return new VectorFile(path, fvecs: false, 8 + lengthBytes + headerLength, count, dimension);
    }

    private static string HeaderField(string path, string header, string key, string value)
    {
        var match = Regex.Match(header, $"'{key}'\\s*:\\s*{value}");
        return match.Success ? match.Groups[1].Value : throw new FormatException($"'{path}' has a .npy header without '{key}'.");
    }

    private static byte[] ReadAt(FileStream file, long offset, int count)
    {
        if (offset + count > file.Length)
        {
            throw new FormatException($"'{file.Name}' ends inside its header.");
        }

        var bytes = new byte[count];
        file.Position = offset;
        file.ReadExactly(bytes);
        return bytes;
    }
}
