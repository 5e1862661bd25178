using System.Buffers.Binary;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The reply to a request when structured replies are not in use (and, with them, to requests without data).
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u32 0x67446698
/// // 0x04 u32 error: 0, or an NBD errno value
/// // 0x08 u64 the cookie of the request
/// // 0x10 the data of a successful NBD_CMD_READ, as long as the request asked
/// </code>
/// The magic tells it from a structured chunk, whose header is longer: the reader takes <see cref="Size"/> bytes
/// first and the rest of a chunk header after.
/// </remarks>
internal readonly record struct NbdSimpleReply(uint Error, ulong Cookie)
{
    public const int Size = 16;

    public static NbdSimpleReply ReadFrom(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt32BigEndian(source[0x04..]), BinaryPrimitives.ReadUInt64BigEndian(source[0x08..]));
}
