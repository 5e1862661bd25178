using System.Buffers.Binary;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The header of one reply the server sends to an option; <see cref="Length"/> bytes of data follow.
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u64 0x3e889045565a9
/// // 0x08 u32 the option this replies to
/// // 0x0C u32 reply type (NBD_REP_*; errors have bit 31 set)
/// // 0x10 u32 length of the data that follows
/// </code>
/// </remarks>
internal readonly record struct NbdOptionReply(NbdOption Option, NbdOptionReplyType Type, uint Length)
{
    public const int Size = 20;

    public bool IsError => ((uint)Type & (uint)NbdOptionReplyType.ErrorBit) != 0;

    /// <summary>Decodes and checks a reply header: its magic, the option it answers, and its length.</summary>
    public static NbdOptionReply ReadFrom(ReadOnlySpan<byte> source, NbdOption expected)
    {
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(source);
        if (magic != NbdProtocol.OptionReplyMagic)
        {
            throw new IOException($"NBD protocol violation: an option reply has the magic 0x{magic:x16}.");
        }

        var reply = new NbdOptionReply(
            (NbdOption)BinaryPrimitives.ReadUInt32BigEndian(source[0x08..]),
            (NbdOptionReplyType)BinaryPrimitives.ReadUInt32BigEndian(source[0x0C..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[0x10..]));
        if (reply.Option != expected)
        {
            throw new IOException($"NBD protocol violation: a reply to option {(uint)expected} names option {(uint)reply.Option}.");
        }

        if (reply.Length > NbdProtocol.MaxOptionReplyLength)
        {
            throw new IOException(
                $"NBD protocol violation: a reply to option {(uint)expected} announces {reply.Length} bytes (at most {NbdProtocol.MaxOptionReplyLength} are accepted).");
        }

        return reply;
    }
}
