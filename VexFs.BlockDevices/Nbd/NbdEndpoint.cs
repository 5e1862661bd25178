using System.Globalization;
using System.Text;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// Where an NBD export is: a TCP host and port or a Unix domain socket, and the export's name. Written as an NBD
/// URI, <c>nbd://host[:port]/export</c> or <c>nbd+unix:///export?socket=/path/to.sock</c>.
/// </summary>
/// <remarks>
/// In a URI the export name is the path without its leading slash, percent-decoded; an empty path names the
/// server's default export. IPv6 addresses go in brackets (<c>nbd://[::1]/disk</c>). Query parameters other
/// than <c>socket</c> are ignored. The TLS schemes <c>nbds://</c> and <c>nbds+unix://</c> and vsock are refused:
/// this client does not speak TLS.
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
        if (scheme.StartsWith("nbds", StringComparison.Ordinal))
        {
            throw new FormatException($"'{uri}' asks for TLS ({scheme}://), which this NBD client does not support.");
        }

        if (scheme is not ("nbd" or "nbd+unix"))
        {
            throw new FormatException($"'{uri}' uses the transport {scheme}://, which this NBD client does not support (nbd:// and nbd+unix:// are).");
        }

        string rest = uri[(schemeEnd + 3)..];
        int fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        int query = rest.IndexOf('?', StringComparison.Ordinal);
        string? socket = query >= 0 ? QueryValue(rest[(query + 1)..], "socket") : null;
        if (query >= 0)
        {
            rest = rest[..query];
        }

        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash >= 0 ? rest[..slash] : rest;
        string exportName = slash >= 0 ? Uri.UnescapeDataString(rest[(slash + 1)..]) : string.Empty;
        try
        {
            if (scheme == "nbd+unix")
            {
                if (authority.Length != 0)
                {
                    throw new FormatException($"'{uri}': an nbd+unix:// URI has no host (three slashes: nbd+unix:///export?socket=path).");
                }

                return string.IsNullOrEmpty(socket)
                    ? throw new FormatException($"'{uri}': an nbd+unix:// URI needs ?socket=path.")
                    : Unix(socket, exportName);
            }

            if (socket is not null)
            {
                throw new FormatException($"'{uri}': ?socket= belongs to nbd+unix:// URIs.");
            }

            var (host, port) = SplitAuthority(authority, uri);
            return Tcp(host, port, exportName);
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
        if (SocketPath is not null)
        {
            return $"nbd+unix:///{export}?socket={Escape(SocketPath)}";
        }

        string host = Host!.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host!;
        string port = Port == DefaultPort ? string.Empty : ":" + Port.ToString(CultureInfo.InvariantCulture);
        return $"nbd://{host}{port}/{export}";
    }

    private static (string Host, int Port) SplitAuthority(string authority, string uri)
    {
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw new FormatException($"'{uri}': a user name belongs to TLS, which this NBD client does not support.");
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

    private static string? QueryValue(string query, string key)
    {
        foreach (string pair in query.Split('&'))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && Uri.UnescapeDataString(pair[..equals]) == key)
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
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
