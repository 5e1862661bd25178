using System.Buffers.Binary;

namespace VexFs.Samples;

/// <summary>
/// struct vexfs_vector: a file's vector in a space, or a piece of it, in and out of the get, set, remove and stage
/// ioctls. A vector of up to <see cref="Capacity"/> components travels whole. A longer one (up to the 4096 a space
/// allows) travels in pieces: a get is called again from <c>first</c> = the components received so far; a search
/// query is staged piece by piece on the directory descriptor that then searches; and a set of such a vector
/// goes through the extended attribute <c>user.vexfs.SPACE</c> instead, which takes it whole.
/// </summary>
/// <param name="Space">The vector space.</param>
/// <param name="Dimension">The components of the whole vector.</param>
/// <param name="First">The index of the first component carried.</param>
/// <param name="Components">The components carried, from <paramref name="First"/> on.</param>
internal sealed record VectorMessage(string Space, int Dimension, int First, float[] Components)
{
    // 0x00 u32 version (VectorIoctl.Version)
    // 0x04 u32 flags, 0
    // 0x08 u8[64] space name, UTF-8, NUL-padded
    // 0x48 u32 dimension: the whole vector's components (get: out; set, stage: in)
    // 0x4C u32 first: the index of the first component carried (get: in)
    // 0x50 u32 count: the components carried (get: out)
    // 0x54 u32 reserved, 0
    // 0x58 f32[count] components, little-endian; the rest of the message is zero
    private const int ComponentsOffset = 0x58;

    /// <summary>The most components one message carries.</summary>
    public const int Capacity = (VectorIoctl.Size - ComponentsOffset) / sizeof(float);

    public void WriteTo(Span<byte> message)
    {
        if (Components.Length > Capacity)
        {
            throw new ArgumentException($"A vector ioctl carries at most {Capacity} components; this piece has {Components.Length}.");
        }

        message[..VectorIoctl.Size].Clear();
        VectorIoctl.WriteHead(message, 0, Space);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x48..], (uint)Dimension);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x4C..], (uint)First);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x50..], (uint)Components.Length);
        VectorIoctl.WriteFloats(message[ComponentsOffset..], Components);
    }

    /// <summary>Reads a message of the current version.</summary>
    /// <exception cref="ArgumentException">A field is out of range: no space, more components than fit, a piece past the vector's end.</exception>
    public static VectorMessage ReadFrom(ReadOnlySpan<byte> message)
    {
        string space = VectorIoctl.ReadSpace(message);
        uint dimension = BinaryPrimitives.ReadUInt32LittleEndian(message[0x48..]);
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(message[0x4C..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(message[0x50..]);
        if (count > Capacity || dimension > int.MaxValue || first > int.MaxValue || (count > 0 && first + count > dimension))
        {
            throw new ArgumentException($"A vector ioctl carries components {first} to {first + count} of {dimension}, or more than {Capacity}.");
        }

        return new VectorMessage(space, (int)dimension, (int)first, VectorIoctl.ReadFloats(message[ComponentsOffset..], (int)count));
    }
}
