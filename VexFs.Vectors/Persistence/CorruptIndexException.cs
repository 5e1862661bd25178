using System.Globalization;

namespace VexFs.Vectors.Persistence;

/// <summary>A persisted index failed validation: a checksum, magic number or field is wrong.</summary>
public sealed class CorruptIndexException : IOException
{
    /// <summary>Creates an exception for a corrupt index without details.</summary>
    public CorruptIndexException()
        : this("The persisted index is corrupt.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public CorruptIndexException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    /// <summary>Creates an exception with a message and the exception that revealed the corruption.</summary>
    public CorruptIndexException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    /// <summary>Creates an exception naming the page and the field that failed validation.</summary>
    public CorruptIndexException(long pageNumber, string field, string problem)
        : base(string.Create(CultureInfo.InvariantCulture, $"Corrupt vector index: page {pageNumber}, {field}: {problem}"))
    {
        PageNumber = pageNumber;
        Field = field;
    }

    /// <summary>The page that holds the bad field.</summary>
    public long PageNumber { get; }

    /// <summary>The field that failed validation.</summary>
    public string Field { get; }
}
