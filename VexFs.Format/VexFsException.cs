namespace VexFs.Format;

/// <summary>
/// An operation the filesystem refused, with nothing changed, for the reason <see cref="Kind"/> names. The
/// refusals the API promises as BCL types (<see cref="FileNotFoundException"/>, <see cref="ArgumentException"/>
/// and the like) stay those types; <see cref="VexErrors.KindOf"/> gives the kind of every refusal.
/// </summary>
public class VexFsException : IOException
{
    /// <summary>Creates the exception for a refusal of kind <paramref name="kind"/>.</summary>
    public VexFsException(VexErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>Creates the exception for a refusal of kind <paramref name="kind"/>, with its cause.</summary>
    public VexFsException(VexErrorKind kind, string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Why the operation was refused.</summary>
    public VexErrorKind Kind { get; }
}
