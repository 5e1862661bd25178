using System.Text;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The fixed newstyle negotiation, client side: answer the greeting, start TLS when the endpoint asks for it, ask for
/// structured replies, then enter transmission with NBD_OPT_GO (asking for the block size constraints), or with
/// NBD_OPT_EXPORT_NAME when the server does not know NBD_OPT_GO.
/// </summary>
/// <remarks>
/// Every length read from the server is checked against a small bound before anything is allocated for it; the
/// only buffer is one of <see cref="BufferSize"/> bytes. TLS is started only when the endpoint asks for it
/// (<c>nbds://</c>), never because the server asks: a server that requires it of a plain endpoint is refused with
/// a message that says to use <c>nbds://</c>, and one that does not offer it to a TLS endpoint is refused too.
/// </remarks>
internal static class NbdHandshake
{
    private const int BufferSize = NbdOptionRequest.HeaderSize + NbdProtocol.MaxStringLength + 64;

    /// <summary>
    /// Negotiates on <paramref name="stream"/> and returns the export with the stream that transmission goes on
    /// with: <paramref name="stream"/> itself, or the TLS session over it, which then owns it.
    /// </summary>
    public static async Task<(Stream Stream, NbdExport Export)> NegotiateAsync(
        Stream stream, NbdEndpoint endpoint, bool structuredReplies, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[BufferSize];
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, NbdGreeting.Size), cancellationToken).ConfigureAwait(false);
            var answer = NbdGreeting.ReadFrom(buffer).Answer();
            NbdGreeting.WriteClientFlags(buffer, answer);
            await stream.WriteAsync(buffer.AsMemory(0, NbdGreeting.ClientFlagsSize), cancellationToken).ConfigureAwait(false);
            bool noZeroes = answer.HasFlag(NbdClientFlags.NoZeroes);
            if (!answer.HasFlag(NbdClientFlags.FixedNewstyle))
            {
                // A plain newstyle server knows no option but NBD_OPT_EXPORT_NAME, so no TLS either.
                return endpoint.Tls is null
                    ? (stream, await ExportNameAsync(stream, buffer, endpoint, noZeroes, structured: false, cancellationToken).ConfigureAwait(false))
                    : throw new IOException($"The NBD server at {endpoint} does not offer TLS: it speaks only the old (not fixed) newstyle handshake.");
            }

            if (endpoint.Tls is null)
            {
                return (stream, await OptionsAsync(stream, buffer, endpoint, noZeroes, structuredReplies, cancellationToken).ConfigureAwait(false));
            }

            var session = await StartTlsAsync(stream, buffer, endpoint, cancellationToken).ConfigureAwait(false);
            try
            {
                return (session, await OptionsAsync(session, buffer, endpoint, noZeroes, structuredReplies, cancellationToken).ConfigureAwait(false));
            }
            catch
            {
                // The caller closes the socket; the session's own state is released here.
                await session.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch (EndOfStreamException e)
        {
            throw new IOException($"The NBD server at {endpoint} closed the connection during the handshake.", e);
        }
    }

    /// <summary>Structured replies when asked for, then transmission with NBD_OPT_GO or NBD_OPT_EXPORT_NAME.</summary>
    private static async Task<NbdExport> OptionsAsync(
        Stream stream, byte[] buffer, NbdEndpoint endpoint, bool noZeroes, bool structuredReplies, CancellationToken cancellationToken)
    {
        bool structured = structuredReplies && await StructuredRepliesAsync(stream, buffer, endpoint, cancellationToken).ConfigureAwait(false);
        return await GoAsync(stream, buffer, endpoint, structured, cancellationToken).ConfigureAwait(false)
            ?? await ExportNameAsync(stream, buffer, endpoint, noZeroes, structured, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>NBD_OPT_STARTTLS, then the TLS handshake; the session over <paramref name="stream"/> is returned.</summary>
    private static async Task<Stream> StartTlsAsync(Stream stream, byte[] buffer, NbdEndpoint endpoint, CancellationToken cancellationToken)
    {
        await SendOptionAsync(stream, buffer, NbdOption.StartTls, dataLength: 0, cancellationToken).ConfigureAwait(false);
        var reply = await ReadReplyAsync(stream, buffer, NbdOption.StartTls, cancellationToken).ConfigureAwait(false);
        return reply.Type switch
        {
            NbdOptionReplyType.Ack when reply.Length != 0 =>
                throw new IOException($"NBD protocol violation: NBD_OPT_STARTTLS was acknowledged with {reply.Length} bytes of data."),
            NbdOptionReplyType.Ack => await NbdTlsSession.StartAsync(stream, endpoint, cancellationToken).ConfigureAwait(false),
            NbdOptionReplyType.ErrUnsupported or NbdOptionReplyType.ErrPolicy => throw await AbortAsync(stream, buffer, new IOException(
                $"The NBD server at {endpoint} does not offer TLS (it answered NBD_OPT_STARTTLS with {(reply.Type == NbdOptionReplyType.ErrPolicy ? "NBD_REP_ERR_POLICY" : "NBD_REP_ERR_UNSUP")}); "
                + "connect without TLS (nbd://) only if the network between you can be trusted.")).ConfigureAwait(false),
            _ when reply.IsError => throw await AbortAsync(stream, buffer, Refusal(reply, buffer, endpoint)).ConfigureAwait(false),
            _ => throw new IOException($"NBD protocol violation: NBD_OPT_STARTTLS was answered with reply type {(uint)reply.Type}."),
        };
    }

    private static async Task<bool> StructuredRepliesAsync(Stream stream, byte[] buffer, NbdEndpoint endpoint, CancellationToken cancellationToken)
    {
        await SendOptionAsync(stream, buffer, NbdOption.StructuredReply, dataLength: 0, cancellationToken).ConfigureAwait(false);
        var reply = await ReadReplyAsync(stream, buffer, NbdOption.StructuredReply, cancellationToken).ConfigureAwait(false);
        return reply.Type switch
        {
            NbdOptionReplyType.Ack => true,
            NbdOptionReplyType.ErrTlsRequired or NbdOptionReplyType.ErrShutdown =>
                throw await AbortAsync(stream, buffer, Refusal(reply, buffer, endpoint)).ConfigureAwait(false),
            _ when reply.IsError => false,
            _ => throw new IOException($"NBD protocol violation: NBD_OPT_STRUCTURED_REPLY was answered with reply type {(uint)reply.Type}."),
        };
    }

    /// <summary>Enters transmission with NBD_OPT_GO; null when the server does not know the option.</summary>
    private static async Task<NbdExport?> GoAsync(Stream stream, byte[] buffer, NbdEndpoint endpoint, bool structured, CancellationToken cancellationToken)
    {
        int dataLength = NbdOptionRequest.WriteGoData(buffer.AsSpan(NbdOptionRequest.HeaderSize), endpoint.ExportName, [NbdInfoType.BlockSize]);
        await SendOptionAsync(stream, buffer, NbdOption.Go, dataLength, cancellationToken).ConfigureAwait(false);
        (ulong Size, NbdTransmissionFlags Flags)? export = null;
        (uint Minimum, uint Preferred, uint Maximum)? blockSizes = null;
        while (true)
        {
            var reply = await ReadReplyAsync(stream, buffer, NbdOption.Go, cancellationToken).ConfigureAwait(false);
            var data = buffer.AsSpan(0, (int)reply.Length);
            switch (reply.Type)
            {
                case NbdOptionReplyType.Info when reply.Length < 2:
                    throw new IOException($"NBD protocol violation: an NBD_REP_INFO reply has {reply.Length} bytes.");
                case NbdOptionReplyType.Info:
                    var type = (NbdInfoType)System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data);
                    if (type == NbdInfoType.Export)
                    {
                        export = NbdExport.ReadExportInfo(data);
                    }
                    else if (type == NbdInfoType.BlockSize)
                    {
                        blockSizes = NbdExport.ReadBlockSizeInfo(data);
                    }

                    break;
                case NbdOptionReplyType.Ack:
                    if (export is not { } info)
                    {
                        throw new IOException("NBD protocol violation: NBD_OPT_GO succeeded without NBD_INFO_EXPORT.");
                    }

                    return new NbdExport
                    {
                        Size = info.Size,
                        Flags = info.Flags,
                        MinimumBlockSize = blockSizes?.Minimum ?? 1,
                        PreferredBlockSize = blockSizes?.Preferred ?? 4096,
                        MaximumBlockSize = blockSizes?.Maximum ?? NbdExport.NoMaximum,
                        StructuredReplies = structured,
                    };
                case NbdOptionReplyType.ErrUnsupported:
                    return null;
                case var _ when reply.IsError:
                    throw await AbortAsync(stream, buffer, Refusal(reply, buffer, endpoint)).ConfigureAwait(false);
                default:
                    throw new IOException($"NBD protocol violation: NBD_OPT_GO was answered with reply type {(uint)reply.Type}.");
            }
        }
    }

    private static async Task<NbdExport> ExportNameAsync(
        Stream stream, byte[] buffer, NbdEndpoint endpoint, bool noZeroes, bool structured, CancellationToken cancellationToken)
    {
        int dataLength = Encoding.UTF8.GetBytes(endpoint.ExportName, buffer.AsSpan(NbdOptionRequest.HeaderSize));
        await SendOptionAsync(stream, buffer, NbdOption.ExportName, dataLength, cancellationToken).ConfigureAwait(false);
        int replyLength = NbdExport.ExportNameReplySize + (noZeroes ? 0 : NbdProtocol.ExportNamePadding);
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, replyLength), cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new IOException(
                $"The NBD server at {endpoint} closed the connection when asked for export '{endpoint.ExportName}': it has no such export, "
                + "or the export needs something not asked for (such as TLS: nbds://).",
                e);
        }

        var (size, flags) = NbdExport.ReadExportNameReply(buffer);
        return new NbdExport { Size = size, Flags = flags, StructuredReplies = structured };
    }

    private static async Task SendOptionAsync(Stream stream, byte[] buffer, NbdOption option, int dataLength, CancellationToken cancellationToken)
    {
        NbdOptionRequest.WriteHeader(buffer, option, dataLength);
        await stream.WriteAsync(buffer.AsMemory(0, NbdOptionRequest.HeaderSize + dataLength), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one option reply; its data lands at the start of <paramref name="buffer"/>.</summary>
    private static async Task<NbdOptionReply> ReadReplyAsync(Stream stream, byte[] buffer, NbdOption option, CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(buffer.AsMemory(0, NbdOptionReply.Size), cancellationToken).ConfigureAwait(false);
        var reply = NbdOptionReply.ReadFrom(buffer, option);
        await stream.ReadExactlyAsync(buffer.AsMemory(0, (int)reply.Length), cancellationToken).ConfigureAwait(false);
        return reply;
    }

    /// <summary>
    /// Ends the negotiation politely (NBD_OPT_ABORT, without waiting for its reply) before the caller throws
    /// <paramref name="refusal"/> and closes the connection.
    /// </summary>
    private static async Task<IOException> AbortAsync(Stream stream, byte[] buffer, IOException refusal)
    {
        NbdOptionRequest.WriteHeader(buffer, NbdOption.Abort, dataLength: 0);
        try
        {
            await stream.WriteAsync(buffer.AsMemory(0, NbdOptionRequest.HeaderSize)).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The server may already have closed its end; the refusal is what the caller needs to hear.
        }

        return refusal;
    }

    /// <summary>The exception for an error reply, with the server's message (the reply's data) when it sent one.</summary>
    private static IOException Refusal(NbdOptionReply reply, byte[] buffer, NbdEndpoint endpoint)
    {
        string said = reply.Length == 0
            ? string.Empty
            : $" (the server says: {NbdStructuredReply.Printable(Encoding.UTF8.GetString(buffer, 0, (int)reply.Length))})";
        return reply.Type switch
        {
            NbdOptionReplyType.ErrTlsRequired => new IOException(
                $"The NBD server at {endpoint} requires TLS (NBD_REP_ERR_TLS_REQD){said}: connect with nbds:// or nbds+unix://."),
            NbdOptionReplyType.ErrUnknown => new FileNotFoundException(
                $"The NBD server at {endpoint} has no export named '{endpoint.ExportName}' (NBD_REP_ERR_UNKNOWN){said}."),
            NbdOptionReplyType.ErrPolicy => new Linux.UnauthorizedIOException(
                $"The NBD server at {endpoint} refuses export '{endpoint.ExportName}' by its policy (NBD_REP_ERR_POLICY){said}.", (int)NbdErrors.Eperm),
            NbdOptionReplyType.ErrShutdown => new IOException($"The NBD server at {endpoint} is shutting down (NBD_REP_ERR_SHUTDOWN){said}."),
            _ => new IOException($"The NBD server at {endpoint} refused option {(uint)reply.Option} with error reply 0x{(uint)reply.Type:x8}{said}."),
        };
    }
}
