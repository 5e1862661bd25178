namespace VexFs.Format;

/// <summary>
/// The on-disk structures are corrupt or of a kind this version cannot read. Carries the block and the field
/// where the damage was found, so that a message and fsck can point at it.
/// </summary>
public class InvalidFileSystemException : IOException
{
    /// <summary>Creates the exception for damage found in <paramref name="field"/> of block <paramref name="block"/>.</summary>
    public InvalidFileSystemException(long block, string field, string problem)
        : base($"Corrupt filesystem: block {block}, {field}: {problem}")
    {
        Block = block;
        Field = field;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public InvalidFileSystemException(string message)
        : base(message)
    {
        Block = -1;
        Field = string.Empty;
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public InvalidFileSystemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Block = -1;
        Field = string.Empty;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public InvalidFileSystemException()
        : this("Corrupt filesystem.")
    {
    }

    /// <summary>The block where the damage was found, or -1 when no single block is to blame.</summary>
    public long Block { get; }

    /// <summary>The record field that failed validation, or empty.</summary>
    public string Field { get; }
}
