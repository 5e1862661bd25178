namespace VexFs.Format.VectorArea;

/// <summary>
/// How each element of a stored vector is encoded: float32 only, so far. A space can still keep int8 codes in
/// memory for its index (<c>VexFs.Vectors.VectorQuantization</c>); that is an index option, not a storage type.
/// </summary>
public enum VectorElementType : byte
{
    /// <summary>IEEE 754 single precision, little-endian.</summary>
    Float32 = 1,
}
