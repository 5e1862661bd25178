using System.Text;
using VexFs.Vectors;

namespace VexFs.Format.VectorArea;

/// <summary>A named space of vectors: every vector in it has the same dimension, metric and element type.</summary>
/// <param name="Name">1 to 47 bytes of UTF-8, unique within the filesystem.</param>
/// <param name="Dimension">From 1 to 4096.</param>
/// <param name="Metric">The distance measure.</param>
/// <param name="ElementType">The stored element encoding.</param>
public sealed record VectorSpaceDefinition(string Name, int Dimension, VectorMetric Metric = VectorMetric.L2, VectorElementType ElementType = VectorElementType.Float32)
{
    /// <summary>The longest name, in bytes of UTF-8.</summary>
    public const int MaxNameBytes = 47;

    /// <summary>The largest dimension.</summary>
    public const int MaxDimension = 4096;

    /// <summary>Explains why the definition is invalid, or returns null.</summary>
    public string? Problem()
    {
        int nameBytes = Encoding.UTF8.GetByteCount(Name);
        if (nameBytes is 0 or > MaxNameBytes || Name.Contains('\0', StringComparison.Ordinal))
        {
            return $"a vector space name is 1 to {MaxNameBytes} bytes of UTF-8 without NUL; '{Name}' has {nameBytes}";
        }

        if (Dimension is < 1 or > MaxDimension)
        {
            return $"a dimension is from 1 to {MaxDimension}; {Dimension} is not";
        }

        if (!Enum.IsDefined(Metric))
        {
            return $"{(int)Metric} is not a metric";
        }

        return !Enum.IsDefined(ElementType) ? $"element type {(int)ElementType} is not one this version stores (vectors are stored as float32)" : null;
    }

    /// <summary>
    /// Parses "name:dimension[:metric[:type]]", as mkfs takes it (metric l2, cosine or ip; type f32, the only
    /// element type stored so far: f16 and i8 are refused with that reason rather than accepted and never stored).
    /// </summary>
    public static VectorSpaceDefinition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(':');
        if (parts.Length is < 2 or > 4 || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int dimension))
        {
            throw new FormatException($"'{text}' is not name:dimension[:metric[:type]].");
        }

        var metric = parts.Length > 2 ? parts[2].ToLowerInvariant() switch
        {
            "l2" => VectorMetric.L2,
            "cosine" or "cos" => VectorMetric.Cosine,
            "ip" or "dot" => VectorMetric.InnerProduct,
            _ => throw new FormatException($"'{parts[2]}' is not a metric (l2, cosine, ip)."),
        } : VectorMetric.L2;
        var type = parts.Length > 3 ? parts[3].ToLowerInvariant() switch
        {
            "f32" or "float32" => VectorElementType.Float32,
            "f16" or "float16" or "i8" or "int8" => throw new FormatException($"vectors are stored as float32 only; '{parts[3]}' storage is not supported (an index can keep int8 codes in memory: that is an index option)."),
            _ => throw new FormatException($"'{parts[3]}' is not an element type (f32)."),
        } : VectorElementType.Float32;
        var definition = new VectorSpaceDefinition(parts[0], dimension, metric, type);
        return definition.Problem() is { } problem ? throw new FormatException(problem + ".") : definition;
    }
}
