using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace VexFs.BlockDevices.Tests.Nbd;

/// <summary>
/// An NBD server played by a test, one client, byte by byte: for what real servers will not do (refuse NBD_OPT_GO,
/// announce absurd lengths, answer with cookies nobody sent). Its encoding is written here from the protocol
/// document, apart from the client's records, so that the two check each other.
/// </summary>
internal sealed class ScriptedNbdServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _script;

    public ScriptedNbdServer(Func<NetworkStream, Task> script)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _script = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            await using var stream = client.GetStream();
            await script(stream);
        });
    }

    public int Port { get; }

    public string Uri => $"nbd://127.0.0.1:{Port}/";

    /// <summary>The script's own outcome: faults in the script surface here.</summary>
    public Task Script => _script;

    public static async Task Greet(NetworkStream stream, ushort flags)
    {
        byte[] greeting = [.. "NBDMAGIC"u8, .. "IHAVEOPT"u8, (byte)(flags >> 8), (byte)flags];
        await stream.WriteAsync(greeting);
        var clientFlags = new byte[4];
        await stream.ReadExactlyAsync(clientFlags);
    }

    public static async Task<(uint Option, byte[] Data)> ReadOption(NetworkStream stream)
    {
        var header = new byte[16];
        await stream.ReadExactlyAsync(header);
        Assert.Equal("IHAVEOPT"u8.ToArray(), header[..8]);
        var data = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12))];
        await stream.ReadExactlyAsync(data);
        return (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)), data);
    }

    public static async Task ReplyOption(NetworkStream stream, uint option, uint type, uint length, byte[]? data = null)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt64BigEndian(header, 0x3e889045565a9);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), length);
        await stream.WriteAsync(header);
        if (data is not null)
        {
            await stream.WriteAsync(data);
        }
    }

    /// <summary>Reads one request: its command, cookie, offset, length, and a write's data.</summary>
    public static async Task<(ushort Command, ulong Cookie, ulong Offset, uint Length, byte[] Data)?> ReadRequest(NetworkStream stream)
    {
        var header = new byte[28];
        try
        {
            await stream.ReadExactlyAsync(header);
        }
        catch (EndOfStreamException)
        {
            return null;
        }

        Assert.Equal(0x25609513u, BinaryPrimitives.ReadUInt32BigEndian(header));
        ushort command = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(6));
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24));
        var data = command == 1 ? new byte[length] : [];
        await stream.ReadExactlyAsync(data);
        return (command, BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)), BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(16)), length, data);
    }

    public static async Task SimpleReply(NetworkStream stream, uint error, ulong cookie, byte[]? data = null)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x67446698);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), error);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        await stream.WriteAsync(header);
        if (data is not null)
        {
            await stream.WriteAsync(data);
        }
    }

    public static async Task Chunk(NetworkStream stream, ushort flags, ushort type, ulong cookie, byte[] payload)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x668e33ef);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), (uint)payload.Length);
        await stream.WriteAsync(header);
        await stream.WriteAsync(payload);
    }

    public void Dispose() => _listener.Stop();
}
