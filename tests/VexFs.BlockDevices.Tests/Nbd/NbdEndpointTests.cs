using VexFs.BlockDevices.Nbd;

namespace VexFs.BlockDevices.Tests.Nbd;

public sealed class NbdEndpointTests
{
    [Theory]
    [InlineData("nbd://example.com/disk", "example.com", 10809, "disk", "nbd://example.com/disk")]
    [InlineData("nbd://127.0.0.1:10810", "127.0.0.1", 10810, "", "nbd://127.0.0.1:10810/")]
    [InlineData("nbd://[::1]:1234/a%20b", "::1", 1234, "a b", "nbd://[::1]:1234/a%20b")]
    [InlineData("nbd://host//rooted", "host", 10809, "/rooted", "nbd://host//rooted")]
    [InlineData("NBD://host/x?other=y#frag", "host", 10809, "x", "nbd://host/x")]
    public void Tcp_uris_are_parsed_and_written_back(string uri, string host, int port, string export, string written)
    {
        var endpoint = NbdEndpoint.Parse(uri);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Null(endpoint.SocketPath);
        Assert.Equal(export, endpoint.ExportName);
        Assert.Equal(written, endpoint.ToString());
        Assert.Equal(endpoint, NbdEndpoint.Parse(endpoint.ToString()));
    }

    [Theory]
    [InlineData("nbd+unix:///vm?socket=/run/nbd.sock", "/run/nbd.sock", "vm", "nbd+unix:///vm?socket=/run/nbd.sock")]
    [InlineData("nbd+unix://?socket=/tmp/s", "/tmp/s", "", "nbd+unix:///?socket=/tmp/s")]
    [InlineData("nbd+unix:///a?x=1&socket=%2Ftmp%2Fmy%20s", "/tmp/my s", "a", "nbd+unix:///a?socket=/tmp/my%20s")]
    public void Unix_uris_are_parsed_and_written_back(string uri, string socket, string export, string written)
    {
        var endpoint = NbdEndpoint.Parse(uri);
        Assert.Null(endpoint.Host);
        Assert.Equal(socket, endpoint.SocketPath);
        Assert.Equal(export, endpoint.ExportName);
        Assert.Equal(written, endpoint.ToString());
        Assert.Equal(endpoint, NbdEndpoint.Parse(endpoint.ToString()));
    }

    [Theory]
    [InlineData("nbds://host/x", "host", null, null, null, "nbds://host/x")]
    [InlineData("NBDS://host:10810/x?tls-hostname=disk.example&tls-certificates=%2Fetc%2Fpki%20a", "host", null, "/etc/pki a", "disk.example",
        "nbds://host:10810/x?tls-certificates=/etc/pki%20a&tls-hostname=disk.example")]
    [InlineData("nbds+unix:///x?socket=/run/s&tls-certificates=/p&tls-verify-peer=true", null, "/run/s", "/p", null,
        "nbds+unix:///x?socket=/run/s&tls-certificates=/p")]
    public void Tls_uris_are_parsed_and_written_back(string uri, string? host, string? socket, string? certificates, string? hostName, string written)
    {
        var endpoint = NbdEndpoint.Parse(uri);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(socket, endpoint.SocketPath);
        Assert.Equal("x", endpoint.ExportName);
        Assert.NotNull(endpoint.Tls);
        Assert.Equal(certificates, endpoint.Tls.CertificatesDirectory);
        Assert.Equal(hostName, endpoint.Tls.HostName);
        Assert.Equal(written, endpoint.ToString());
        Assert.Equal(endpoint, NbdEndpoint.Parse(endpoint.ToString()));
        Assert.Null(NbdEndpoint.Parse(uri.Split('?')[0].Replace("nbds", "nbd", StringComparison.OrdinalIgnoreCase) + (socket is null ? "" : "?socket=/run/s")).Tls);
    }

    [Theory]
    [InlineData("nbd://host/x?tls-certificates=/etc/pki", "nbds://")]
    [InlineData("nbds://host/x?tls-psk-file=/keys.psk", "pre-shared key")]
    [InlineData("nbds://host/x?tls-verify-peer=false", "always verified")]
    [InlineData("nbds+unix:///x", "socket=")]
    [InlineData("nbd://alice@host/x", "pre-shared key")]
    [InlineData("nbd+vsock://1/x", "vsock")]
    [InlineData("nbd+unix:///x", "socket=")]
    [InlineData("nbd+unix://host/x?socket=/s", "no host")]
    [InlineData("nbd://host/x?socket=/s", "nbd+unix")]
    [InlineData("nbd:///x", "needs a host")]
    [InlineData("nbd://host:99999/x", "99999")]
    [InlineData("nbd://host:port/x", "port")]
    [InlineData("http://host/x", "not an NBD URI")]
    [InlineData("/dev/nbd0", "not an NBD URI")]
    public void Unusable_uris_are_refused_with_the_reason(string uri, string reason)
    {
        var e = Assert.Throws<FormatException>(() => NbdEndpoint.Parse(uri));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_nbd_schemes_count_as_nbd_uris()
    {
        Assert.True(NbdEndpoint.IsNbdUri("nbd://x"));
        Assert.True(NbdEndpoint.IsNbdUri("NBD+UNIX:///?socket=/s"));
        Assert.True(NbdEndpoint.IsNbdUri("nbds://x"));
        Assert.False(NbdEndpoint.IsNbdUri("/dev/loop0"));
        Assert.False(NbdEndpoint.IsNbdUri("disk.img"));
        Assert.False(NbdEndpoint.IsNbdUri("nbdx://x"));
        Assert.False(NbdEndpoint.IsNbdUri(null));
    }

    [Fact]
    public void Factories_check_their_arguments()
    {
        Assert.Equal("nbd://h:1/e", NbdEndpoint.Tcp("h", 1, "e").ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => NbdEndpoint.Tcp("h", 0));
        Assert.Throws<ArgumentException>(() => NbdEndpoint.Tcp(" "));
        Assert.Throws<ArgumentException>(() => NbdEndpoint.Unix("/s", "a\0b"));
        Assert.Throws<ArgumentException>(() => NbdEndpoint.Unix("/s", new string('x', 4097)));
    }
}
