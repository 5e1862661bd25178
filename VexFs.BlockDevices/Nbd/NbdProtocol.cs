namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The magic numbers, limits and codes of the NBD protocol (the NetworkBlockDevice project's proto.md). Every
/// number on the wire is big-endian.
/// </summary>
internal static class NbdProtocol
{
    /// <summary>The port IANA assigned to NBD.</summary>
    public const int DefaultPort = 10809;

    /// <summary>"NBDMAGIC", the first eight bytes a server sends.</summary>
    public const ulong InitMagic = 0x4e42444d41474943;

    /// <summary>"IHAVEOPT": newstyle negotiation, and the prefix of every option the client sends.</summary>
    public const ulong OptionMagic = 0x49484156454f5054;

    /// <summary>The second magic of the oldstyle negotiation, which this client does not speak.</summary>
    public const ulong OldstyleMagic = 0x0000420281861253;

    /// <summary>The prefix of every option reply.</summary>
    public const ulong OptionReplyMagic = 0x0003e889045565a9;

    /// <summary>The prefix of every transmission request.</summary>
    public const uint RequestMagic = 0x25609513;

    /// <summary>The prefix of a simple reply.</summary>
    public const uint SimpleReplyMagic = 0x67446698;

    /// <summary>The prefix of a structured reply chunk.</summary>
    public const uint StructuredReplyMagic = 0x668e33ef;

    /// <summary>The longest string (export name, error message) the protocol allows, in bytes.</summary>
    public const int MaxStringLength = 4096;

    /// <summary>
    /// The largest option reply payload this client reads: the replies it asks for are a few bytes, or an error
    /// message of at most <see cref="MaxStringLength"/>; anything longer is refused before it is allocated.
    /// </summary>
    public const int MaxOptionReplyLength = MaxStringLength + 64;

    /// <summary>The zero padding that ends an NBD_OPT_EXPORT_NAME reply unless NO_ZEROES was agreed.</summary>
    public const int ExportNamePadding = 124;

    /// <summary>A command's name as the protocol spells it.</summary>
    public static string Name(NbdCommand command) => command switch
    {
        NbdCommand.Read => "NBD_CMD_READ",
        NbdCommand.Write => "NBD_CMD_WRITE",
        NbdCommand.Disconnect => "NBD_CMD_DISC",
        NbdCommand.Flush => "NBD_CMD_FLUSH",
        NbdCommand.Trim => "NBD_CMD_TRIM",
        NbdCommand.WriteZeroes => "NBD_CMD_WRITE_ZEROES",
        _ => $"NBD command {(ushort)command}",
    };
}

/// <summary>The 16 bits of flags the server sends in its greeting.</summary>
[Flags]
internal enum NbdHandshakeFlags : ushort
{
    None = 0,
    FixedNewstyle = 1 << 0,
    NoZeroes = 1 << 1,
}

/// <summary>The 32 bits of flags the client answers the greeting with.</summary>
[Flags]
internal enum NbdClientFlags : uint
{
    None = 0,
    FixedNewstyle = 1 << 0,
    NoZeroes = 1 << 1,
}

/// <summary>The 16 bits the server describes an export with.</summary>
[Flags]
internal enum NbdTransmissionFlags : ushort
{
    None = 0,
    HasFlags = 1 << 0,
    ReadOnly = 1 << 1,
    SendFlush = 1 << 2,
    SendFua = 1 << 3,
    Rotational = 1 << 4,
    SendTrim = 1 << 5,
    SendWriteZeroes = 1 << 6,
    SendDontFragment = 1 << 7,
    CanMultiConn = 1 << 8,
}

/// <summary>The options of the handshake this client sends.</summary>
internal enum NbdOption : uint
{
    ExportName = 1,
    Abort = 2,
    StartTls = 5,
    Go = 7,
    StructuredReply = 8,
}

/// <summary>Option reply types; the errors have bit 31 set.</summary>
internal enum NbdOptionReplyType : uint
{
    Ack = 1,
    Server = 2,
    Info = 3,
    ErrorBit = 1u << 31,
    ErrUnsupported = ErrorBit + 1,
    ErrPolicy = ErrorBit + 2,
    ErrInvalid = ErrorBit + 3,
    ErrPlatform = ErrorBit + 4,
    ErrTlsRequired = ErrorBit + 5,
    ErrUnknown = ErrorBit + 6,
    ErrShutdown = ErrorBit + 7,
    ErrBlockSizeRequired = ErrorBit + 8,
    ErrTooBig = ErrorBit + 9,
}

/// <summary>The kinds of NBD_REP_INFO payload.</summary>
internal enum NbdInfoType : ushort
{
    Export = 0,
    Name = 1,
    Description = 2,
    BlockSize = 3,
}

/// <summary>Transmission commands.</summary>
internal enum NbdCommand : ushort
{
    Read = 0,
    Write = 1,
    Disconnect = 2,
    Flush = 3,
    Trim = 4,
    WriteZeroes = 6,
}

/// <summary>Flags of a transmission request.</summary>
[Flags]
internal enum NbdCommandFlags : ushort
{
    None = 0,
    Fua = 1 << 0,
    NoHole = 1 << 1,
}

/// <summary>Structured reply chunk types; the errors have bit 15 set.</summary>
internal enum NbdChunkType : ushort
{
    None = 0,
    OffsetData = 1,
    OffsetHole = 2,
    ErrorBit = 1 << 15,
    Error = ErrorBit + 1,
    ErrorOffset = ErrorBit + 2,
}

/// <summary>Flags of a structured reply chunk.</summary>
[Flags]
internal enum NbdChunkFlags : ushort
{
    None = 0,
    Done = 1 << 0,
}
