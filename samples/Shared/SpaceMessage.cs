using System.Buffers.Binary;
using VexFs.Vectors;

namespace VexFs.Samples;

/// <summary>
/// struct vexfs_space: a vector space to create or drop through the mount (<see cref="VectorIoctl.CreateSpace"/>,
/// <see cref="VectorIoctl.DropSpace"/>); a drop reads only the name.
/// </summary>
/// <param name="Space">The space's name.</param>
/// <param name="Dimension">Its components, 1 to 4096 (create).</param>
/// <param name="Metric">Its metric (create).</param>
internal sealed record SpaceMessage(string Space, int Dimension, VectorMetric Metric)
{
    // 0x00 u32 version (VectorIoctl.Version)
    // 0x04 u32 flags, 0
    // 0x08 u8[64] space name, UTF-8, NUL-padded
    // 0x48 u32 dimension
    // 0x4C u32 metric: 1 L2 (squared), 2 cosine, 3 inner product
    // the rest of the message is zero
    public void WriteTo(Span<byte> message)
    {
        message[..VectorIoctl.Size].Clear();
        VectorIoctl.WriteHead(message, 0, Space);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x48..], (uint)Dimension);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x4C..], (uint)Metric);
    }

    /// <exception cref="ArgumentException">No space name, or a dimension or metric out of range (a drop carries neither, and is read with <paramref name="named"/>).</exception>
    public static SpaceMessage ReadFrom(ReadOnlySpan<byte> message, bool named = false)
    {
        string space = VectorIoctl.ReadSpace(message);
        if (named)
        {
            return new SpaceMessage(space, 0, 0);
        }

        uint dimension = BinaryPrimitives.ReadUInt32LittleEndian(message[0x48..]);
        uint metric = BinaryPrimitives.ReadUInt32LittleEndian(message[0x4C..]);
        if (dimension is 0 or > VectorSpace.MaxDimension || !Enum.IsDefined((VectorMetric)metric))
        {
            throw new ArgumentException($"A space ioctl asks for {dimension} dimensions (1 to {VectorSpace.MaxDimension}) and metric {metric} (1 L2, 2 cosine, 3 inner product).");
        }

        return new SpaceMessage(space, (int)dimension, (VectorMetric)metric);
    }
}
