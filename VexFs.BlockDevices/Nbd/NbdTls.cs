namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// TLS for an NBD connection: the client asks for it with NBD_OPT_STARTTLS before any other option, and everything
/// after (the rest of the handshake and every request) travels inside it. Written in a URI as the schemes
/// <c>nbds://</c> and <c>nbds+unix://</c>, with the query parameters <c>tls-certificates</c> and <c>tls-hostname</c>
/// that libnbd's URIs use.
/// </summary>
/// <remarks>
/// The server's certificate is always checked: it must chain to a trusted authority and carry
/// <see cref="HostName"/>. A server with a certificate of its own making is trusted by putting that certificate (or
/// its authority's) in the directory's <c>ca-cert.pem</c>. Certificates only: TLS with a pre-shared key (nbdkit's
/// <c>--tls-psk</c>) is not offered by .NET's TLS.
/// </remarks>
public sealed record NbdTls
{
    /// <summary>The CA certificates file in <see cref="CertificatesDirectory"/>.</summary>
    public const string CaCertificateFile = "ca-cert.pem";

    /// <summary>The client's certificate in <see cref="CertificatesDirectory"/>, presented with its key.</summary>
    public const string ClientCertificateFile = "client-cert.pem";

    /// <summary>The client's private key in <see cref="CertificatesDirectory"/>.</summary>
    public const string ClientKeyFile = "client-key.pem";

    /// <summary>
    /// A directory of PEM files laid out as nbdkit, qemu-nbd and libnbd lay theirs out: <c>ca-cert.pem</c>
    /// (required), the authorities the server's certificate must chain to in place of the system's, and
    /// optionally <c>client-cert.pem</c> with <c>client-key.pem</c>, presented to a server that checks its
    /// clients. Null: the system's trusted authorities, and no client certificate.
    /// </summary>
    public string? CertificatesDirectory { get; init; }

    /// <summary>
    /// The name the server's certificate must carry; null for the endpoint's host, or <c>localhost</c> over a Unix
    /// socket.
    /// </summary>
    public string? HostName { get; init; }
}
