using System.Buffers.Binary;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The header of one transmission request; NBD_CMD_WRITE's data follows it.
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u32 0x25609513
/// // 0x04 u16 command flags (FUA, NO_HOLE)
/// // 0x06 u16 command (NBD_CMD_*)
/// // 0x08 u64 cookie: any value; the reply carries it back, so replies can come in any order
/// // 0x10 u64 offset in bytes
/// // 0x18 u32 length in bytes
/// </code>
/// </remarks>
internal readonly record struct NbdRequest(NbdCommandFlags Flags, NbdCommand Command, ulong Cookie, ulong Offset, uint Length)
{
    public const int Size = 28;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdProtocol.RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[0x04..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[0x06..], (ushort)Command);
        BinaryPrimitives.WriteUInt64BigEndian(destination[0x08..], Cookie);
        BinaryPrimitives.WriteUInt64BigEndian(destination[0x10..], Offset);
        BinaryPrimitives.WriteUInt32BigEndian(destination[0x18..], Length);
    }
}
