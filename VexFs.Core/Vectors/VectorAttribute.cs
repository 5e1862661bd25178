using System.Buffers.Binary;

namespace VexFs.Core.Vectors;

/// <summary>A vector as the value of its attribute <c>user.vexfs.SPACE</c>: the components as little-endian float32.</summary>
internal static class VectorAttribute
{
    public static byte[] Encode(ReadOnlySpan<float> vector)
    {
        var value = new byte[vector.Length * sizeof(float)];
        for (int i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(value.AsSpan(i * sizeof(float)), vector[i]);
        }

        return value;
    }

    /// <exception cref="ArgumentException">The value is not a whole number of float32 components.</exception>
    public static float[] Decode(ReadOnlySpan<byte> value, string parameterName)
    {
        if (value.Length % sizeof(float) != 0)
        {
            throw new ArgumentException($"A vector attribute holds little-endian float32 components; {value.Length} bytes is not a whole number of them.", parameterName);
        }

        var components = new float[value.Length / sizeof(float)];
        for (int i = 0; i < components.Length; i++)
        {
            components[i] = BinaryPrimitives.ReadSingleLittleEndian(value[(i * sizeof(float))..]);
        }

        return components;
    }
}
