using System.Buffers.Binary;
using System.Text;

namespace VexFs.Samples;

/// <summary>
/// The vector ioctls of a mounted VexFS, shared by the host that answers them and the tools that call them. A FUSE
/// filesystem sees only restricted ioctls: the kernel copies the one buffer whose size and direction the number
/// encodes (_IOW, _IOR, _IOWR; at most 16,383 bytes) and follows no pointer in it. So each call carries one
/// fixed-size, pointer-free, little-endian message of <see cref="Size"/> bytes that starts with its
/// <see cref="Version"/>. A vector longer than one message holds goes in pieces (see <see cref="VectorMessage"/>);
/// search results page (see <see cref="SearchMessage"/>), and so does the list of spaces (see
/// <see cref="SpaceListMessage"/>); spaces are created and dropped with <see cref="SpaceMessage"/>.
/// </summary>
internal static class VectorIoctl
{
    /// <summary>The version of the messages; a host refuses any other with EPROTO.</summary>
    public const uint Version = 1;

    /// <summary>The bytes of every message: a multiple of 8 below the 16,384 the size field of an ioctl number cannot hold.</summary>
    public const int Size = 16_376;

    /// <summary>The ioctl type byte of every call (the kernel's own types, 'f', 'v', 'X', 0x94, are avoided).</summary>
    public const uint Type = 0xB6;

    /// <summary>The longest space name a message carries, in UTF-8 bytes, NUL-padded.</summary>
    public const int SpaceBytes = 64;

    /// <summary>_IOWR(0xB6, 1, vexfs_vector) on a file: its vector in a space, from component <c>first</c> on.</summary>
    public const uint GetVector = (ReadWrite << 30) | ((uint)Size << 16) | (Type << 8) | 1;

    /// <summary>_IOW(0xB6, 2, vexfs_vector) on a file opened for writing: sets its vector (whole, or the staged one).</summary>
    public const uint SetVector = (Write << 30) | ((uint)Size << 16) | (Type << 8) | 2;

    /// <summary>_IOW(0xB6, 3, vexfs_vector) on a file opened for writing: removes its vector (only the space is read).</summary>
    public const uint RemoveVector = (Write << 30) | ((uint)Size << 16) | (Type << 8) | 3;

    /// <summary>_IOW(0xB6, 4, vexfs_vector) on a directory: stages a piece of a vector for a later search or set through the same descriptor.</summary>
    public const uint StageVector = (Write << 30) | ((uint)Size << 16) | (Type << 8) | 4;

    /// <summary>_IOWR(0xB6, 5, vexfs_search) on a directory: a top-k search; answers one page of hits.</summary>
    public const uint Search = (ReadWrite << 30) | ((uint)Size << 16) | (Type << 8) | 5;

    /// <summary>_IOW(0xB6, 6, vexfs_space) on any descriptor of the mount, by root or the owner of its root directory: creates a space.</summary>
    public const uint CreateSpace = (Write << 30) | ((uint)Size << 16) | (Type << 8) | 6;

    /// <summary>_IOW(0xB6, 7, vexfs_space) on any descriptor of the mount, by root or the owner of its root directory: drops a space and its vectors.</summary>
    public const uint DropSpace = (Write << 30) | ((uint)Size << 16) | (Type << 8) | 7;

    /// <summary>_IOWR(0xB6, 8, vexfs_spaces) on any descriptor of the mount: answers one page of its spaces.</summary>
    public const uint ListSpaces = (ReadWrite << 30) | ((uint)Size << 16) | (Type << 8) | 8;

    // _IOC directions: the caller writes the buffer in (1), reads it out (2), or both.
    private const uint Write = 1;
    private const uint ReadWrite = 3;

    /// <summary>The version a message starts with.</summary>
    public static uint VersionOf(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt32LittleEndian(message);

    /// <summary>Writes the common head of a message: version, flags and the space name at 0x08.</summary>
    /// <exception cref="ArgumentException">The space name is longer than <see cref="SpaceBytes"/> - 1 bytes.</exception>
    internal static void WriteHead(Span<byte> message, uint flags, string space)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x04..], flags);
        var name = message.Slice(0x08, SpaceBytes);
        name.Clear();
        if (Encoding.UTF8.GetByteCount(space) >= SpaceBytes)
        {
            throw new ArgumentException($"The space name '{space}' is longer than a vector ioctl carries ({SpaceBytes - 1} bytes).");
        }

        Encoding.UTF8.GetBytes(space, name);
    }

    /// <summary>The space name at 0x08, up to its first NUL.</summary>
    /// <exception cref="ArgumentException">The name is empty, fills the whole field, or is not UTF-8.</exception>
    internal static string ReadSpace(ReadOnlySpan<byte> message)
    {
        var field = message.Slice(0x08, SpaceBytes);
        int end = field.IndexOf((byte)0);
        if (end <= 0)
        {
            throw new ArgumentException("A vector ioctl names no space (or its name has no terminating NUL).");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(field[..end]);
        }
        catch (DecoderFallbackException)
        {
            throw new ArgumentException("A vector ioctl's space name is not UTF-8.");
        }
    }

    internal static void WriteFloats(Span<byte> destination, ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], values[i]);
        }
    }

    internal static float[] ReadFloats(ReadOnlySpan<byte> source, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * sizeof(float))..]);
        }

        return values;
    }
}
