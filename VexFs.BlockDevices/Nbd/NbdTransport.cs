using System.Net.Sockets;

namespace VexFs.BlockDevices.Nbd;

/// <summary>Opens the stream socket an endpoint names: TCP, or a Unix domain socket.</summary>
internal static class NbdTransport
{
    public static async Task<Socket> ConnectAsync(NbdEndpoint endpoint, CancellationToken cancellationToken)
    {
        var socket = endpoint.SocketPath is null
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (endpoint.SocketPath is { } path)
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(endpoint.Host!, endpoint.Port, cancellationToken).ConfigureAwait(false);
            }

            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"Cannot connect to the NBD server at {endpoint}: {e.Message}.", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
