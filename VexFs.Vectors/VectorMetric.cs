namespace VexFs.Vectors;

/// <summary>How the distance between two vectors is measured. Smaller distances are nearer.</summary>
public enum VectorMetric
{
    /// <summary>Squared Euclidean distance: the sum of squared component differences.</summary>
    L2 = 1,

    /// <summary>
    /// Cosine distance, one minus the cosine similarity. Vectors are normalized when stored, so a zero
    /// vector is rejected.
    /// </summary>
    Cosine = 2,

    /// <summary>Inner-product distance, one minus the dot product (larger dot products are nearer).</summary>
    InnerProduct = 3,
}
