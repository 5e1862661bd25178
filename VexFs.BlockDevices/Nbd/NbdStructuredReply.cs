using System.Buffers.Binary;
using System.Text;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The header of one structured reply chunk; a reply is one or more chunks with the same cookie, the last
/// one flagged DONE, and chunks of different replies may interleave.
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u32 0x668e33ef
/// // 0x04 u16 flags (DONE)
/// // 0x06 u16 chunk type (NBD_REPLY_TYPE_*; errors have bit 15 set)
/// // 0x08 u64 the cookie of the request
/// // 0x10 u32 length of the payload that follows
/// </code>
/// Payloads:
/// <code>
/// NONE          nothing (only with DONE)
/// OFFSET_DATA   // 0x00 u64 offset; 0x08 the data, length - 8 bytes
/// OFFSET_HOLE   // 0x00 u64 offset; 0x08 u32 hole size; the range reads as zeros
/// ERROR         // 0x00 u32 errno; 0x04 u16 message length; 0x06 message
/// ERROR_OFFSET  // as ERROR, then u64 the offset the error concerns
/// </code>
/// </remarks>
internal readonly record struct NbdStructuredReply(NbdChunkFlags Flags, NbdChunkType Type, ulong Cookie, uint Length)
{
    public const int Size = 20;
    public const int OffsetSize = 8;
    public const int HoleSize = 12;
    public const int ErrorHeaderSize = 6;

    /// <summary>The longest error payload read: a header, a message at the protocol's limit and an offset.</summary>
    public const int MaxErrorLength = ErrorHeaderSize + NbdProtocol.MaxStringLength + OffsetSize;

    public bool IsDone => Flags.HasFlag(NbdChunkFlags.Done);

    public bool IsError => ((ushort)Type & (ushort)NbdChunkType.ErrorBit) != 0;

    public static NbdStructuredReply ReadFrom(ReadOnlySpan<byte> source) =>
        new(
            (NbdChunkFlags)BinaryPrimitives.ReadUInt16BigEndian(source[0x04..]),
            (NbdChunkType)BinaryPrimitives.ReadUInt16BigEndian(source[0x06..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[0x08..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[0x10..]));

    /// <summary>Decodes an OFFSET_HOLE payload.</summary>
    public static (ulong Offset, uint Length) ReadHole(ReadOnlySpan<byte> payload) =>
        (BinaryPrimitives.ReadUInt64BigEndian(payload), BinaryPrimitives.ReadUInt32BigEndian(payload[0x08..]));

    /// <summary>
    /// Decodes an error payload: the errno, the server's message, and for ERROR_OFFSET the offset it names.
    /// </summary>
    public static (uint Errno, string Message, ulong? Offset) ReadError(ReadOnlySpan<byte> payload, NbdChunkType type)
    {
        if (payload.Length < ErrorHeaderSize)
        {
            throw new IOException($"NBD protocol violation: an error chunk has {payload.Length} bytes, fewer than {ErrorHeaderSize}.");
        }

        uint errno = BinaryPrimitives.ReadUInt32BigEndian(payload);
        int messageLength = BinaryPrimitives.ReadUInt16BigEndian(payload[0x04..]);
        int expected = ErrorHeaderSize + messageLength + (type == NbdChunkType.ErrorOffset ? OffsetSize : 0);
        if (messageLength > NbdProtocol.MaxStringLength || (type is NbdChunkType.Error or NbdChunkType.ErrorOffset
            ? payload.Length != expected
            : payload.Length < expected))
        {
            throw new IOException(
                $"NBD protocol violation: an error chunk of {payload.Length} bytes holds a message of {messageLength} bytes.");
        }

        string message = Printable(Encoding.UTF8.GetString(payload.Slice(ErrorHeaderSize, messageLength)));
        ulong? offset = type == NbdChunkType.ErrorOffset
            ? BinaryPrimitives.ReadUInt64BigEndian(payload[(ErrorHeaderSize + messageLength)..])
            : null;
        return (errno, message, offset);
    }

    /// <summary>A server's text with control characters replaced, safe to put in a message or a log line.</summary>
    public static string Printable(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
}
