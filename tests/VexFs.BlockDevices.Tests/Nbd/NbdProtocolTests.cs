using System.Buffers.Binary;
using System.Net.Sockets;
using VexFs.BlockDevices.Nbd;
using static VexFs.BlockDevices.Tests.Nbd.ScriptedNbdServer;

namespace VexFs.BlockDevices.Tests.Nbd;

/// <summary>The client against a scripted server: fallbacks and misbehaviour that real servers do not show.</summary>
public sealed class NbdProtocolTests
{
    private const uint Ack = 1;
    private const uint Info = 3;
    private const uint ErrUnsupported = 0x80000001;
    private const ushort Done = 1;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_server_without_go_is_reached_with_export_name_simple_replies_and_write_zeroes_for_discard()
    {
        var commands = new List<ushort>();
        var memory = new byte[1 << 20];
        using var server = new ScriptedNbdServer(async stream =>
        {
            await Greet(stream, flags: 0x0003);
            Assert.Equal(8u, (await ReadOption(stream)).Option);
            await ReplyOption(stream, 8, ErrUnsupported, 0);
            Assert.Equal(7u, (await ReadOption(stream)).Option);
            await ReplyOption(stream, 7, ErrUnsupported, 0);
            var (option, name) = await ReadOption(stream);
            Assert.Equal(1u, option);
            Assert.Empty(name);

            // Size, then HAS_FLAGS | SEND_FLUSH | SEND_WRITE_ZEROES, and no padding: NO_ZEROES was agreed.
            await stream.WriteAsync(new byte[] { 0, 0, 0, 0, 0, 0x10, 0, 0, 0x00, 0x45 });
            while (await ReadRequest(stream) is { } request)
            {
                commands.Add(request.Command);
                var range = memory.AsMemory((int)request.Offset, (int)request.Length);
                switch (request.Command)
                {
                    case 0:
                        await SimpleReply(stream, 0, request.Cookie, range.ToArray());
                        break;
                    case 1:
                        request.Data.CopyTo(range);
                        await SimpleReply(stream, 0, request.Cookie);
                        break;
                    case 6:
                        range.Span.Clear();
                        await SimpleReply(stream, 0, request.Cookie);
                        break;
                    case 2:
                        return;
                    default:
                        await SimpleReply(stream, 0, request.Cookie);
                        break;
                }
            }
        });

        using (var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri)))
        {
            Assert.False(device.Export.StructuredReplies);
            Assert.Equal(1L << 20, device.Length);
            var data = Patterns.Random(16384, seed: 1);
            device.Write(4096, data);
            device.Flush();
            device.Discard(8192, 4096);
            var back = new byte[data.Length];
            await device.ReadAsync(4096, back, TestContext.Current.CancellationToken);
            Assert.Equal(data[..4096], back[..4096]);
            Assert.All(back[4096..8192], b => Assert.Equal(0, b));
            Assert.Equal(data[8192..], back[8192..]);
        }

        await server.Script.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(new ushort[] { 1, 3, 6, 0, 2 }, commands);
    }

    [Fact]
    public async Task An_option_reply_announcing_a_huge_length_is_refused_before_anything_is_allocated()
    {
        using var server = new ScriptedNbdServer(async stream =>
        {
            await Greet(stream, flags: 0x0001);
            await ReadOption(stream);
            await ReplyOption(stream, 8, Ack, 0x7FFFFFF0);
            await Task.Delay(Patience);
        });

        var e = await Assert.ThrowsAsync<IOException>(() =>
            NbdBlockDevice.ConnectAsync(NbdEndpoint.Parse(server.Uri), cancellationToken: TestContext.Current.CancellationToken)
                .WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.Contains("announces 2147483632 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_that_never_greets_times_out_the_handshake()
    {
        using var server = new ScriptedNbdServer(_ => Task.Delay(Patience));
        var options = new NbdDeviceOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), options));
        Assert.Contains("within 0.3 s", e.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_reply_with_an_unknown_cookie_fails_the_request_in_flight_and_every_later_one()
    {
        using var server = new ScriptedNbdServer(async stream =>
        {
            await GoWithStructuredReplies(stream);
            var request = (await ReadRequest(stream))!.Value;
            await SimpleReply(stream, 0, request.Cookie + 1000);
            await Task.Delay(Patience);
        });

        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        var e = await Assert.ThrowsAsync<IOException>(async () =>
            await device.WriteAsync(0, new byte[512], TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.Contains("cookie", e.Message, StringComparison.Ordinal);
        var later = Assert.Throws<IOException>(() => device.Read(0, new byte[512]));
        Assert.Contains("cookie", later.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunk_outside_its_request_breaks_the_connection()
    {
        using var server = new ScriptedNbdServer(async stream =>
        {
            await GoWithStructuredReplies(stream);
            var request = (await ReadRequest(stream))!.Value;
            var payload = new byte[8 + 4096];
            BinaryPrimitives.WriteUInt64BigEndian(payload, request.Offset + 8192);
            await Chunk(stream, Done, 1, request.Cookie, payload);
            await Task.Delay(Patience);
        });

        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        var e = await Assert.ThrowsAsync<IOException>(async () =>
            await device.ReadAsync(0, new byte[4096], TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.Contains("falls outside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_chunks_carry_the_servers_message_and_holes_read_as_zeros()
    {
        using var server = new ScriptedNbdServer(async stream =>
        {
            await GoWithStructuredReplies(stream);
            var first = (await ReadRequest(stream))!.Value;
            await Chunk(stream, Done, 0x8001, first.Cookie, [0, 0, 0, 5, 0, 12, .. "disk on fire"u8]);
            var second = (await ReadRequest(stream))!.Value;
            var data = new byte[8 + 1024];
            BinaryPrimitives.WriteUInt64BigEndian(data, second.Offset);
            data.AsSpan(8).Fill(0x5A);
            await Chunk(stream, 0, 1, second.Cookie, data);
            var hole = new byte[12];
            BinaryPrimitives.WriteUInt64BigEndian(hole, second.Offset + 1024);
            BinaryPrimitives.WriteUInt32BigEndian(hole.AsSpan(8), second.Length - 1024);
            await Chunk(stream, Done, 2, second.Cookie, hole);
            await ReadRequest(stream);
        });

        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        var buffer = Patterns.Filled(4096, 0xAB);
        var e = Assert.Throws<IOException>(() => device.Read(0, buffer));
        Assert.Contains("EIO", e.Message, StringComparison.Ordinal);
        Assert.Contains("disk on fire", e.Message, StringComparison.Ordinal);
        Assert.Contains("NBD_CMD_READ of 4096 bytes at offset 0", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, e.HResult);

        device.Read(8192, buffer);
        Assert.All(buffer[..1024], b => Assert.Equal(0x5A, b));
        Assert.All(buffer[1024..], b => Assert.Equal(0, b));
    }

    /// <summary>Agrees to structured replies and answers NBD_OPT_GO with a 1 MiB export that can flush.</summary>
    private static async Task GoWithStructuredReplies(NetworkStream stream)
    {
        await Greet(stream, flags: 0x0003);
        Assert.Equal(8u, (await ReadOption(stream)).Option);
        await ReplyOption(stream, 8, Ack, 0);
        var (option, data) = await ReadOption(stream);
        Assert.Equal(7u, option);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 1, 0, 3 }, data);
        await ReplyOption(stream, 7, Info, 12, [0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x05]);
        await ReplyOption(stream, 7, Ack, 0);
    }
}
