namespace VexFs.Format.VectorArea;

/// <summary>How the distance between two vectors of a space is measured.</summary>
public enum VectorMetric : byte
{
    /// <summary>Squared Euclidean distance.</summary>
    L2 = 1,

    /// <summary>One minus the cosine of the angle.</summary>
    Cosine = 2,

    /// <summary>The negated inner product.</summary>
    InnerProduct = 3,
}

/// <summary>How each element of a stored vector is encoded.</summary>
public enum VectorElementType : byte
{
    /// <summary>IEEE 754 single precision.</summary>
    Float32 = 1,

    /// <summary>IEEE 754 half precision.</summary>
    Float16 = 2,

    /// <summary>Signed 8-bit integers.</summary>
    Int8 = 3,
}
