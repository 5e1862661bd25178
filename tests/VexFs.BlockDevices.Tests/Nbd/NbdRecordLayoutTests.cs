using VexFs.BlockDevices.Nbd;

namespace VexFs.BlockDevices.Tests.Nbd;

/// <summary>
/// The wire records against bytes written out by hand from the protocol document (big-endian, magic first).
/// </summary>
public sealed class NbdRecordLayoutTests
{
    private static readonly byte[] Cookie = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];

    [Fact]
    public void The_greeting_is_decoded_and_answered_with_the_flags_offered()
    {
        byte[] wire = [.. "NBDMAGIC"u8, .. "IHAVEOPT"u8, 0x00, 0x03];
        Assert.Equal(NbdGreeting.Size, wire.Length);
        var greeting = NbdGreeting.ReadFrom(wire);
        Assert.Equal(NbdHandshakeFlags.FixedNewstyle | NbdHandshakeFlags.NoZeroes, greeting.Flags);

        var answer = new byte[NbdGreeting.ClientFlagsSize];
        NbdGreeting.WriteClientFlags(answer, greeting.Answer());
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x03 }, answer);

        byte[] fixedOnly = [.. "NBDMAGIC"u8, .. "IHAVEOPT"u8, 0x00, 0x01];
        Assert.Equal(NbdClientFlags.FixedNewstyle, NbdGreeting.ReadFrom(fixedOnly).Answer());
    }

    [Fact]
    public void Oldstyle_and_foreign_greetings_are_refused()
    {
        byte[] oldstyle = [.. "NBDMAGIC"u8, 0x00, 0x00, 0x42, 0x02, 0x81, 0x86, 0x12, 0x53, 0x00, 0x00];
        Assert.Contains("oldstyle", Assert.Throws<IOException>(() => NbdGreeting.ReadFrom(oldstyle)).Message, StringComparison.Ordinal);
        byte[] http = [.. "HTTP/1.1 400 Bad"u8, 0x00, 0x00];
        Assert.Contains("not an NBD server", Assert.Throws<IOException>(() => NbdGreeting.ReadFrom(http)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_go_option_carries_the_name_and_the_information_requests()
    {
        var buffer = new byte[64];
        int dataLength = NbdOptionRequest.WriteGoData(buffer.AsSpan(NbdOptionRequest.HeaderSize), "disk", [NbdInfoType.BlockSize]);
        NbdOptionRequest.WriteHeader(buffer, NbdOption.Go, dataLength);
        byte[] expected =
        [
            .. "IHAVEOPT"u8,
            0x00, 0x00, 0x00, 0x07, // NBD_OPT_GO
            0x00, 0x00, 0x00, 0x0C, // 12 bytes of data
            0x00, 0x00, 0x00, 0x04, .. "disk"u8,
            0x00, 0x01, // one request
            0x00, 0x03, // NBD_INFO_BLOCK_SIZE
        ];
        Assert.Equal(NbdOptionRequest.GoDataSize(4, 1), dataLength);
        Assert.Equal(expected, buffer[..(NbdOptionRequest.HeaderSize + dataLength)]);
    }

    [Fact]
    public void An_option_reply_header_is_decoded_and_checked()
    {
        byte[] wire =
        [
            0x00, 0x03, 0xE8, 0x89, 0x04, 0x55, 0x65, 0xA9,
            0x00, 0x00, 0x00, 0x07,
            0x80, 0x00, 0x00, 0x01, // NBD_REP_ERR_UNSUP
            0x00, 0x00, 0x00, 0x05,
        ];
        Assert.Equal(NbdOptionReply.Size, wire.Length);
        var reply = NbdOptionReply.ReadFrom(wire, NbdOption.Go);
        Assert.Equal(NbdOptionReplyType.ErrUnsupported, reply.Type);
        Assert.True(reply.IsError);
        Assert.Equal(5u, reply.Length);

        Assert.Throws<IOException>(() => NbdOptionReply.ReadFrom(wire, NbdOption.StructuredReply));
        byte[] huge = [.. wire[..16], 0x7F, 0xFF, 0xFF, 0xFF];
        Assert.Contains("announces", Assert.Throws<IOException>(() => NbdOptionReply.ReadFrom(huge, NbdOption.Go)).Message, StringComparison.Ordinal);
        byte[] badMagic = [0x00, .. wire[1..]];
        badMagic[0] = 0x01;
        Assert.Throws<IOException>(() => NbdOptionReply.ReadFrom(badMagic, NbdOption.Go));
    }

    [Fact]
    public void Export_information_is_decoded()
    {
        byte[] export = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x01, 0x0D];
        Assert.Equal(NbdExport.ExportInfoSize, export.Length);
        var (size, flags) = NbdExport.ReadExportInfo(export);
        Assert.Equal(8L << 20, (long)size);
        Assert.Equal(
            NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua | NbdTransmissionFlags.CanMultiConn,
            flags);

        byte[] blockSize = [0x00, 0x03, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x01, 0x00, 0x00];
        Assert.Equal(NbdExport.BlockSizeInfoSize, blockSize.Length);
        Assert.Equal((4096u, 16384u, 65536u), NbdExport.ReadBlockSizeInfo(blockSize));

        byte[] exportName = [0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x03];
        Assert.Equal(NbdExport.ExportNameReplySize, exportName.Length);
        Assert.Equal((1UL << 30, NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.ReadOnly), NbdExport.ReadExportNameReply(exportName));
    }

    [Fact]
    public void Export_information_that_breaks_the_rules_is_refused()
    {
        byte[] noHasFlags = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x04];
        Assert.Throws<IOException>(() => NbdExport.ReadExportInfo(noHasFlags));
        Assert.Throws<IOException>(() => NbdExport.ReadExportInfo(noHasFlags.AsSpan(0, 11)));

        // A minimum of 3 is not a power of two; a maximum of 6,000 is not a multiple of a 4,096 minimum.
        byte[] oddMinimum = [0x00, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Throws<IOException>(() => NbdExport.ReadBlockSizeInfo(oddMinimum));
        byte[] oddMaximum = [0x00, 0x03, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x17, 0x70];
        Assert.Throws<IOException>(() => NbdExport.ReadBlockSizeInfo(oddMaximum));
    }

    [Fact]
    public void A_request_is_written_as_the_protocol_lays_it_out()
    {
        var wire = new byte[NbdRequest.Size];
        new NbdRequest(NbdCommandFlags.Fua, NbdCommand.Write, 0x0102030405060708, 0x1000, 0x200).WriteTo(wire);
        byte[] expected =
        [
            0x25, 0x60, 0x95, 0x13,
            0x00, 0x01, // NBD_CMD_FLAG_FUA
            0x00, 0x01, // NBD_CMD_WRITE
            .. Cookie,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
            0x00, 0x00, 0x02, 0x00,
        ];
        Assert.Equal(expected, wire);

        new NbdRequest(NbdCommandFlags.None, NbdCommand.WriteZeroes, 1, 0, 0).WriteTo(wire);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x06 }, wire[4..8]);
    }

    [Fact]
    public void A_simple_reply_is_decoded()
    {
        byte[] wire = [0x67, 0x44, 0x66, 0x98, 0x00, 0x00, 0x00, 0x1C, .. Cookie];
        Assert.Equal(NbdSimpleReply.Size, wire.Length);
        Assert.Equal(new NbdSimpleReply(28, 0x0102030405060708), NbdSimpleReply.ReadFrom(wire));
    }

    [Fact]
    public void A_structured_chunk_and_its_payloads_are_decoded()
    {
        byte[] wire = [0x66, 0x8E, 0x33, 0xEF, 0x00, 0x01, 0x00, 0x02, .. Cookie, 0x00, 0x00, 0x00, 0x0C];
        Assert.Equal(NbdStructuredReply.Size, wire.Length);
        var chunk = NbdStructuredReply.ReadFrom(wire);
        Assert.Equal(new NbdStructuredReply(NbdChunkFlags.Done, NbdChunkType.OffsetHole, 0x0102030405060708, 12), chunk);
        Assert.True(chunk.IsDone);
        Assert.False(chunk.IsError);

        byte[] hole = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x10, 0x00];
        Assert.Equal(NbdStructuredReply.HoleSize, hole.Length);
        Assert.Equal((0x2000UL, 0x1000u), NbdStructuredReply.ReadHole(hole));

        byte[] error = [0x00, 0x00, 0x00, 0x05, 0x00, 0x03, .. "bad"u8];
        Assert.Equal((5u, "bad", (ulong?)null), NbdStructuredReply.ReadError(error, NbdChunkType.Error));
        byte[] errorOffset = [.. error, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00];
        Assert.Equal((5u, "bad", (ulong?)512), NbdStructuredReply.ReadError(errorOffset, NbdChunkType.ErrorOffset));
        Assert.True(NbdStructuredReply.ReadFrom([0x66, 0x8E, 0x33, 0xEF, 0x00, 0x00, 0x80, 0x01, .. Cookie, 0, 0, 0, 9]).IsError);
    }

    [Fact]
    public void Error_payloads_whose_lengths_disagree_are_refused()
    {
        byte[] longer = [0x00, 0x00, 0x00, 0x05, 0x00, 0x09, .. "bad"u8];
        Assert.Throws<IOException>(() => NbdStructuredReply.ReadError(longer, NbdChunkType.Error));
        Assert.Throws<IOException>(() => NbdStructuredReply.ReadError([0x00, 0x00, 0x00], NbdChunkType.Error));
        byte[] control = [0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 0x1B, (byte)'x'];
        Assert.Equal("?x", NbdStructuredReply.ReadError(control, NbdChunkType.Error).Message);
    }
}
