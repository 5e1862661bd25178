using VexFs.BlockDevices.Nbd;
using VexFs.BlockDevices.Tests.Contract;

namespace VexFs.BlockDevices.Tests.Nbd;

/// <summary>
/// The device contract over NBD: each device is a fresh server process, and reopening read-only connects again,
/// read-only, to the same server (which keeps a memory export's data for as long as it runs).
/// </summary>
public abstract class NbdContract : DeviceContract
{
    private readonly Dictionary<BlockDevice, NbdServer> _servers = [];

    protected NbdContract() => Directory = Track(new TempDirectory());

    protected TempDirectory Directory { get; }

    protected virtual NbdDeviceOptions Options => NbdDeviceOptions.Default;

    protected abstract NbdServer StartServer(long length);

    /// <summary>How the client reaches <paramref name="server"/>: by its URI, unless a contract adds TLS.</summary>
    protected virtual NbdEndpoint Endpoint(NbdServer server) => NbdEndpoint.Parse(server.Uri);

    protected override BlockDevice CreateDevice(long length)
    {
        var server = Track(StartServer(length));
        var device = NbdBlockDevice.Connect(Endpoint(server), Options);
        _servers[device] = server;
        return device;
    }

    protected override BlockDevice ReopenReadOnly(BlockDevice device)
    {
        var server = _servers[device];
        device.Dispose();
        return NbdBlockDevice.Connect(Endpoint(server), Options with { ReadOnly = true });
    }
}

/// <summary>nbdkit's memory plugin over a Unix socket, with two connections (it allows several).</summary>
public sealed class NbdkitMemoryContract : NbdContract
{
    protected override NbdDeviceOptions Options { get; } = new() { Connections = 2 };

    protected override NbdServer StartServer(long length) => NbdServer.Nbdkit(Directory.Path, tcp: false, "memory", $"size={length}");
}

/// <summary>nbdkit's memory plugin with simple replies only: the client must not depend on structured ones.</summary>
public sealed class NbdkitMemorySimpleRepliesContract : NbdContract
{
    protected override NbdDeviceOptions Options { get; } = new() { StructuredReplies = false };

    protected override NbdServer StartServer(long length) => NbdServer.Nbdkit(Directory.Path, tcp: false, "memory", $"size={length}");
}

/// <summary>nbdkit's file plugin over TCP, on a sparse image file.</summary>
public sealed class NbdkitFileContract : NbdContract
{
    protected override NbdServer StartServer(long length)
    {
        string image = Directory.File(Guid.NewGuid().ToString("N") + ".img");
        using (var file = File.Create(image))
        {
            file.SetLength(length);
        }

        return NbdServer.Nbdkit(Directory.Path, tcp: true, "file", image);
    }
}

/// <summary>qemu-nbd on a raw image, over a Unix socket.</summary>
public sealed class QemuNbdRawContract : NbdContract
{
    protected override NbdServer StartServer(long length)
    {
        string image = Directory.File(Guid.NewGuid().ToString("N") + ".img");
        NbdServer.Run("qemu-img", "create", "-q", "-f", "raw", image, length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return NbdServer.QemuNbd(Directory.Path, image, "raw", tcp: false);
    }
}

/// <summary>qemu-nbd on a qcow2 image, over TCP.</summary>
public sealed class QemuNbdQcow2Contract : NbdContract
{
    // qcow2 discards whole clusters only: the partial clusters at a discarded range's edges keep their data.
    protected override bool DiscardReadsZeros => false;

    protected override NbdServer StartServer(long length)
    {
        string image = Directory.File(Guid.NewGuid().ToString("N") + ".qcow2");
        NbdServer.Run("qemu-img", "create", "-q", "-f", "qcow2", image, length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return NbdServer.QemuNbd(Directory.Path, image, "qcow2", tcp: true);
    }
}

/// <summary>
/// nbdkit's memory plugin over TCP with TLS required (certificates of a test authority), two connections: every
/// request and reply goes through the TLS session.
/// </summary>
public sealed class NbdkitTlsContract : NbdContract
{
    private readonly string _certificates;

    public NbdkitTlsContract()
    {
        _certificates = Directory.File("pki");
        TlsCertificates.Write(_certificates, withClient: false);
    }

    protected override NbdDeviceOptions Options { get; } = new() { Connections = 2 };

    protected override NbdServer StartServer(long length) =>
        NbdServer.Nbdkit(Directory.Path, tcp: true, "--tls=require", $"--tls-certificates={_certificates}", "memory", $"size={length}");

    protected override NbdEndpoint Endpoint(NbdServer server) =>
        NbdEndpoint.Parse(server.Uri) with { Tls = new NbdTls { CertificatesDirectory = _certificates } };
}

/// <summary>
/// qemu-nbd on a qcow2 image over a Unix socket with TLS, checking the client's certificate too
/// (<c>verify-peer=on</c>); the URI names the certificates and the host name the server's certificate carries.
/// </summary>
public sealed class QemuNbdTlsContract : NbdContract
{
    private readonly string _certificates;

    public QemuNbdTlsContract()
    {
        _certificates = Directory.File("pki");
        TlsCertificates.Write(_certificates);
    }

    // As over TCP in the clear, qcow2 discards whole clusters only.
    protected override bool DiscardReadsZeros => false;

    protected override NbdServer StartServer(long length)
    {
        string image = Directory.File(Guid.NewGuid().ToString("N") + ".qcow2");
        NbdServer.Run("qemu-img", "create", "-q", "-f", "qcow2", image, length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return NbdServer.QemuNbd(
            Directory.Path,
            image,
            "qcow2",
            tcp: false,
            "disk",
            "--object",
            $"tls-creds-x509,id=tls0,endpoint=server,dir={_certificates},verify-peer=on",
            "--tls-creds",
            "tls0");
    }

    protected override NbdEndpoint Endpoint(NbdServer server) => NbdEndpoint.Parse(server.TlsUri(_certificates) + "&tls-hostname=localhost");
}
