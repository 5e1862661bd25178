using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VexFs.BlockDevices.Nbd;

/// <summary>The client's half of the TLS handshake that follows an acknowledged NBD_OPT_STARTTLS.</summary>
internal static class NbdTlsSession
{
    /// <summary>
    /// Runs the TLS handshake over <paramref name="inner"/> and returns the stream the session continues on, which
    /// owns <paramref name="inner"/>.
    /// </summary>
    public static async Task<SslStream> StartAsync(Stream inner, NbdEndpoint endpoint, CancellationToken cancellationToken)
    {
        var tls = endpoint.Tls!;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = tls.HostName ?? endpoint.Host ?? "localhost",
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (tls.CertificatesDirectory is { } directory)
        {
            Configure(options, directory, endpoint);
        }

        var session = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await session.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch (AuthenticationException e)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"The TLS handshake with the NBD server at {endpoint} failed: {Reason(e)}.", e);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Configure(SslClientAuthenticationOptions options, string directory, NbdEndpoint endpoint)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The TLS certificates directory '{directory}' for the NBD server at {endpoint} does not exist.");
        }

        string ca = Path.Combine(directory, NbdTls.CaCertificateFile);
        string certificate = Path.Combine(directory, NbdTls.ClientCertificateFile);
        string key = Path.Combine(directory, NbdTls.ClientKeyFile);
        if (!File.Exists(ca))
        {
            // Named certificates mean a trust anchor of their own: falling back to the system's would fail open.
            throw new FileNotFoundException($"The TLS certificates directory '{directory}' has no {NbdTls.CaCertificateFile}.", ca);
        }

        if (File.Exists(certificate) != File.Exists(key))
        {
            throw new FileNotFoundException(
                $"The TLS certificates directory '{directory}' has one of {NbdTls.ClientCertificateFile} and {NbdTls.ClientKeyFile} without the other.");
        }

        try
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.ImportFromPemFile(ca);
            if (policy.CustomTrustStore.Count == 0)
            {
                throw new CryptographicException("it holds no certificate");
            }

            options.CertificateChainPolicy = policy;
            if (File.Exists(certificate))
            {
                options.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificate, key)];
            }
        }
        catch (CryptographicException e)
        {
            throw new IOException($"The TLS certificates in '{directory}' cannot be read: {e.Message}.", e);
        }
    }

    /// <summary>The innermost message: .NET wraps the TLS library's reason (such as an untrusted root) in general words.</summary>
    private static string Reason(Exception e)
    {
        string reason = e.Message.TrimEnd('.');
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            reason += "; " + inner.Message.TrimEnd('.');
        }

        return reason;
    }
}
