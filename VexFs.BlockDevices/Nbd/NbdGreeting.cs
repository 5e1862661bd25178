using System.Buffers.Binary;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The first message of a newstyle server, and the client's flags that answer it.
/// </summary>
/// <remarks>
/// Server to client, <see cref="Size"/> bytes:
/// <code>
/// // 0x00 u64 "NBDMAGIC"
/// // 0x08 u64 "IHAVEOPT" for newstyle; the oldstyle magic 0x00420281861253 is refused
/// // 0x10 u16 handshake flags (FIXED_NEWSTYLE, NO_ZEROES)
/// </code>
/// Client to server, <see cref="ClientFlagsSize"/> bytes:
/// <code>
/// // 0x00 u32 client flags (C_FIXED_NEWSTYLE, C_NO_ZEROES), only those the server offered
/// </code>
/// </remarks>
internal readonly record struct NbdGreeting(NbdHandshakeFlags Flags)
{
    public const int Size = 18;
    public const int ClientFlagsSize = 4;

    public static NbdGreeting ReadFrom(ReadOnlySpan<byte> source)
    {
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(source);
        if (magic != NbdProtocol.InitMagic)
        {
            throw new IOException($"The peer is not an NBD server: it began with 0x{magic:x16} instead of \"NBDMAGIC\".");
        }

        ulong style = BinaryPrimitives.ReadUInt64BigEndian(source[0x08..]);
        if (style == NbdProtocol.OldstyleMagic)
        {
            throw new IOException("The NBD server speaks the oldstyle negotiation, which is not supported; newstyle servers are.");
        }

        if (style != NbdProtocol.OptionMagic)
        {
            throw new IOException($"The NBD server's greeting has an unknown second magic 0x{style:x16}.");
        }

        return new NbdGreeting((NbdHandshakeFlags)BinaryPrimitives.ReadUInt16BigEndian(source[0x10..]));
    }

    /// <summary>The client flags to answer with: each one only if the server offered it.</summary>
    public NbdClientFlags Answer()
    {
        var answer = NbdClientFlags.None;
        if (Flags.HasFlag(NbdHandshakeFlags.FixedNewstyle))
        {
            answer |= NbdClientFlags.FixedNewstyle;
        }

        if (Flags.HasFlag(NbdHandshakeFlags.NoZeroes))
        {
            answer |= NbdClientFlags.NoZeroes;
        }

        return answer;
    }

    public static void WriteClientFlags(Span<byte> destination, NbdClientFlags flags) =>
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)flags);
}
