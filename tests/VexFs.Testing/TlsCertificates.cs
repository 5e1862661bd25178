using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VexFs.Testing;

/// <summary>
/// A certificate authority of the test's own and certificates it signs, written as PEM files in the layout that
/// nbdkit (<c>--tls-certificates=DIR</c>), qemu's <c>tls-creds-x509</c> and libnbd share: <c>ca-cert.pem</c>,
/// <c>server-cert.pem</c> with <c>server-key.pem</c>, and <c>client-cert.pem</c> with <c>client-key.pem</c>.
/// </summary>
public static class TlsCertificates
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Writes a new authority and a server certificate for <c>localhost</c> and 127.0.0.1 into
    /// <paramref name="directory"/>, with a client certificate unless <paramref name="withClient"/> is false.
    /// </summary>
    public static void Write(string directory, bool withClient = true)
    {
        Directory.CreateDirectory(directory);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=VexFS test authority", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        using var ca = caRequest.CreateSelfSigned(notBefore, notBefore.AddDays(30));
        File.WriteAllText(Path.Combine(directory, "ca-cert.pem"), ca.ExportCertificatePem() + "\n");

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        Issue(ca, directory, "server", "CN=localhost", ServerAuthentication, names.Build());
        if (withClient)
        {
            Issue(ca, directory, "client", "CN=VexFS test client", ClientAuthentication, alternativeNames: null);
        }
    }

    private static void Issue(X509Certificate2 ca, string directory, string role, string subject, Oid purpose, X509Extension? alternativeNames)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(
            new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([purpose], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(ca, ca.NotBefore, ca.NotAfter, serial);
        File.WriteAllText(Path.Combine(directory, role + "-cert.pem"), certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, role + "-key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");
    }
}
