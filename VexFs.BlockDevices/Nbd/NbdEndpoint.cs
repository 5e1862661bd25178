using System.Globalization;
using System.Text;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// Where an NBD export is: a TCP host and port or a Unix domain socket, the export's name, and whether the connection
/// is secured with TLS. Written as an NBD URI, <c>nbd://host[:port]/export</c> or
/// <c>nbd+unix:///export?socket=/path/to.sock</c>, and with TLS <c>nbds://</c> or <c>nbds+unix://</c>.
/// </summary>
/// <remarks>
/// In a URI the export name is the path without its leading slash, percent-decoded; an empty path names the
/// server's default export. IPv6 addresses go in brackets (<c>nbd://[::1]/disk</c>). The query parameters are
/// <c>socket</c> and, with TLS, those of <see cref="NbdTls"/>: <c>tls-certificates=DIR</c> and
/// <c>tls-hostname=NAME</c>; others are ignored (<c>tls-verify-peer=false</c> is refused). TLS with a pre-shared key
/// (<c>tls-psk-file</c>, a user name before the host) and vsock are refused.
/// </remarks>
public sealed record NbdEndpoint
{
    /// <summary>The port IANA assigned to NBD, 10809.</summary>
    public const int DefaultPort = NbdProtocol.DefaultPort;

    private NbdEndpoint(string? host, int port, string? socketPath, string exportName)
    {
        Host = host;
        Port = port;
        SocketPath = socketPath;
        ExportName = exportName;
    }

    /// <summary>The host name or address of a TCP endpoint; null for a Unix domain socket.</summary>
    public string? Host { get; }

    /// <summary>The TCP port; 0 for a Unix domain socket.</summary>
    public int Port { get; }

    /// <summary>The path of a Unix domain socket; null for TCP.</summary>
    public string? SocketPath { get; }

    /// <summary>The export's name; empty for the server's default export.</summary>
    public string ExportName { get; }

    /// <summary>How the connection is secured with TLS; null for none.</summary>
    public NbdTls? Tls { get; init; }

    /// <summary>An export reached over TCP.</summary>
    public static NbdEndpoint Tcp(string host, int port = DefaultPort, string exportName = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return new NbdEndpoint(host, port, null, CheckExportName(exportName));
    }

    /// <summary>An export reached over a Unix domain socket.</summary>
    public static NbdEndpoint Unix(string socketPath, string exportName = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        return new NbdEndpoint(null, 0, socketPath, CheckExportName(exportName));
    }

    /// <summary>Whether <paramref name="text"/> is written as an NBD URI (any <c>nbd</c> scheme, supported or not).</summary>
    public static bool IsNbdUri(string? text)
    {
        int colon = text?.IndexOf("://", StringComparison.Ordinal) ?? -1;
        if (colon <= 0)
        {
            return false;
        }

        string scheme = text![..colon];
        return scheme.Equals("nbd", StringComparison.OrdinalIgnoreCase) || scheme.Equals("nbds", StringComparison.OrdinalIgnoreCase)
            || scheme.StartsWith("nbd+", StringComparison.OrdinalIgnoreCase) || scheme.StartsWith("nbds+", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses an NBD URI.</summary>
    /// <exception cref="FormatException">The text is not an NBD URI this client can use; the message says why.</exception>
    public static NbdEndpoint Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!IsNbdUri(uri))
        {
            throw new FormatException($"'{uri}' is not an NBD URI (nbd://host[:port]/export or nbd+unix:///export?socket=path).");
        }

        int schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        string scheme = uri[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("nbd" or "nbd+unix" or "nbds" or "nbds+unix"))
        {
            throw new FormatException(
                $"'{uri}' uses the transport {scheme}://, which this NBD client does not support (nbd://, nbd+unix://, nbds:// and nbds+unix:// are).");
        }

        string rest = uri[(schemeEnd + 3)..];
        int fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        int queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryStart >= 0 ? Query(rest[(queryStart + 1)..]) : [];
        if (queryStart >= 0)
        {
            rest = rest[..queryStart];
        }

        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash >= 0 ? rest[..slash] : rest;
        string exportName = slash >= 0 ? Uri.UnescapeDataString(rest[(slash + 1)..]) : string.Empty;
        bool unix = scheme.EndsWith("+unix", StringComparison.Ordinal);
        try
        {
            var tls = scheme.StartsWith("nbds", StringComparison.Ordinal) ? ParseTls(query, uri) : RefuseTls(query, uri);
            query.TryGetValue("socket", out string? socket);
            if (unix)
            {
                if (authority.Length != 0)
                {
                    throw new FormatException($"'{uri}': an {scheme}:// URI has no host (three slashes: {scheme}:///export?socket=path).");
                }

                return string.IsNullOrEmpty(socket)
                    ? throw new FormatException($"'{uri}': an {scheme}:// URI needs ?socket=path.")
                    : Unix(socket, exportName) with { Tls = tls };
            }

            if (socket is not null)
            {
                throw new FormatException($"'{uri}': ?socket= belongs to nbd+unix:// and nbds+unix:// URIs.");
            }

            var (host, port) = SplitAuthority(authority, uri);
            return Tcp(host, port, exportName) with { Tls = tls };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"'{uri}' is not a usable NBD URI: {e.Message}", e);
        }
    }

    /// <summary>The endpoint as an NBD URI.</summary>
    public override string ToString()
    {
        string export = Escape(ExportName);
        string scheme = Tls is null ? "nbd" : "nbds";
        var query = new List<string>();
        if (SocketPath is not null)
        {
            query.Add("socket=" + Escape(SocketPath));
        }

        if (Tls is { } tls)
        {
            if (tls.CertificatesDirectory is { } directory)
            {
                query.Add("tls-certificates=" + Escape(directory));
            }

            if (tls.HostName is { } name)
            {
                query.Add("tls-hostname=" + Escape(name));
            }
        }

        string parameters = query.Count == 0 ? string.Empty : "?" + string.Join('&', query);
        if (SocketPath is not null)
        {
            return $"{scheme}+unix:///{export}{parameters}";
        }

        string host = Host!.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host!;
        string port = Port == DefaultPort ? string.Empty : ":" + Port.ToString(CultureInfo.InvariantCulture);
        return $"{scheme}://{host}{port}/{export}{parameters}";
    }

    private static NbdTls ParseTls(Dictionary<string, string> query, string uri)
    {
        if (query.ContainsKey("tls-psk-file"))
        {
            throw new FormatException($"'{uri}' asks for TLS with a pre-shared key (tls-psk-file), which .NET's TLS does not offer; use certificates.");
        }

        if (query.TryGetValue("tls-verify-peer", out string? verify) && verify.ToLowerInvariant() is "false" or "0" or "no" or "off")
        {
            throw new FormatException(
                $"'{uri}': the server's certificate is always verified; trust a certificate of the server's own making by putting it in tls-certificates' ca-cert.pem.");
        }

        query.TryGetValue("tls-certificates", out string? directory);
        query.TryGetValue("tls-hostname", out string? hostName);
        return new NbdTls
        {
            CertificatesDirectory = string.IsNullOrEmpty(directory) ? null : directory,
            HostName = string.IsNullOrEmpty(hostName) ? null : hostName,
        };
    }

    /// <summary>A TLS parameter on a URI without TLS is refused rather than ignored: the caller meant TLS.</summary>
    private static NbdTls? RefuseTls(Dictionary<string, string> query, string uri)
    {
        foreach (string key in query.Keys)
        {
            if (key.StartsWith("tls-", StringComparison.Ordinal))
            {
                throw new FormatException($"'{uri}' sets {key} but does not ask for TLS: write nbds:// or nbds+unix://.");
            }
        }

        return null;
    }

    private static (string Host, int Port) SplitAuthority(string authority, string uri)
    {
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw new FormatException($"'{uri}': a user name belongs to TLS with a pre-shared key, which .NET's TLS does not offer.");
        }

        string host = authority;
        string? port = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < authority.Length && authority[close + 1] != ':'))
            {
                throw new FormatException($"'{uri}': the bracketed IPv6 address is malformed.");
            }

            host = authority[1..close];
            port = close + 1 < authority.Length ? authority[(close + 2)..] : null;
        }
        else if (authority.LastIndexOf(':') is var colon and >= 0)
        {
            host = authority[..colon];
            port = authority[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"'{uri}': an nbd:// URI needs a host.");
        }

        if (port is null)
        {
            return (host, DefaultPort);
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number is > 0 and <= 65535
            ? (host, number)
            : throw new FormatException($"'{uri}': '{port}' is not a TCP port.");
    }

    private static Dictionary<string, string> Query(string query)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&'))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                parameters[Uri.UnescapeDataString(pair[..equals])] = Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return parameters;
    }

    private static string CheckExportName(string exportName)
    {
        ArgumentNullException.ThrowIfNull(exportName);
        if (exportName.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(exportName) > NbdProtocol.MaxStringLength)
        {
            throw new ArgumentException(
                $"An NBD export name has no NUL character and at most {NbdProtocol.MaxStringLength} bytes of UTF-8.", nameof(exportName));
        }

        return exportName;
    }

    private static string Escape(string text) => Uri.EscapeDataString(text).Replace("%2F", "/", StringComparison.Ordinal);
}
