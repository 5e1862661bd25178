using System.Diagnostics;
using VexFs.BlockDevices.Linux;
using VexFs.BlockDevices.Nbd;

namespace VexFs.BlockDevices.Tests.Nbd;

/// <summary>The client against real servers: nbdkit (with filters for faults and latency) and qemu-nbd.</summary>
public sealed class NbdDeviceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();
    private readonly List<IDisposable> _cleanup = [];

    public void Dispose()
    {
        for (int i = _cleanup.Count - 1; i >= 0; i--)
        {
            _cleanup[i].Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public void Structured_replies_and_several_connections_are_used_when_the_server_offers_them()
    {
        var server = Nbdkit("memory", "size=8M");
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), new NbdDeviceOptions { Connections = 4 });
        Assert.True(device.Export.StructuredReplies);
        Assert.True(device.Export.Has(NbdTransmissionFlags.CanMultiConn));
        Assert.Equal(4, device.ConnectionCount);
        Assert.Equal(512, device.SectorSize);
        Assert.Equal(8L << 20, device.Length);

        var single = Nbdkit("--filter=multi-conn", "memory", "size=8M", "multi-conn-mode=disable");
        using var one = NbdBlockDevice.Connect(NbdEndpoint.Parse(single.Uri), new NbdDeviceOptions { Connections = 4 });
        Assert.False(one.Export.Has(NbdTransmissionFlags.CanMultiConn));
        Assert.Equal(1, one.ConnectionCount);
    }

    [Fact]
    public async Task Block_size_constraints_set_the_sector_size_and_split_long_requests()
    {
        // The policy filter fails (EINVAL) any request shorter than 4 KiB, longer than 64 KiB, or misaligned.
        var server = Nbdkit(
            "--filter=blocksize-policy", "memory", "size=8M",
            "blocksize-minimum=4096", "blocksize-preferred=16384", "blocksize-maximum=65536", "blocksize-error-policy=error");
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        Assert.Equal(4096, device.SectorSize);
        Assert.Equal(65536, device.MaxRequest);

        var data = Patterns.Random((1 << 20) + 4096, seed: 2);
        device.Write(4096 * 3, data);
        var back = new byte[data.Length];
        device.Read(4096 * 3, back);
        Assert.Equal(data, back);
        await device.WriteAsync(0, data.AsMemory(0, 1 << 20), TestContext.Current.CancellationToken);
        await device.ReadAsync(0, back.AsMemory(0, 1 << 20), TestContext.Current.CancellationToken);
        Assert.True(data.AsSpan(0, 1 << 20).SequenceEqual(back.AsSpan(0, 1 << 20)));
        device.Discard(0, 1 << 20);
        Assert.Throws<ArgumentException>(() => device.Read(512, new byte[4096]));
    }

    [Fact]
    public async Task Requests_in_flight_overlap_on_one_connection()
    {
        const int Requests = 8;
        var delay = TimeSpan.FromMilliseconds(400);
        var server = Nbdkit("--filter=delay", "memory", "size=8M", "rdelay=400ms");
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        Assert.Equal(1, device.ConnectionCount);

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Requests).Select(i =>
            device.ReadAsync(i * 4096L, new byte[4096], TestContext.Current.CancellationToken).AsTask()));
        var asynchronous = watch.Elapsed;

        watch.Restart();
        var threads = Enumerable.Range(0, Requests).Select(i => new Thread(() => device.Read(i * 4096L, new byte[4096]))).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());
        var synchronous = watch.Elapsed;

        // One after another they would take 8 x 400 ms; side by side, little more than one delay.
        Assert.InRange(asynchronous, delay, delay * (Requests / 2));
        Assert.InRange(synchronous, delay, delay * (Requests / 2));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Server_errors_come_back_as_exceptions_that_name_them_and_the_connection_goes_on(bool structuredReplies)
    {
        string failReads = _directory.File("fail-reads");
        string failWrites = _directory.File("fail-writes");
        string failTrims = _directory.File("fail-trims");
        var server = Nbdkit(
            "--filter=error", "memory", "size=8M",
            "error-pread=EIO", "error-pread-rate=100%", $"error-pread-file={failReads}",
            "error-pwrite=ENOSPC", "error-pwrite-rate=100%", $"error-pwrite-file={failWrites}",
            "error-trim=EPERM", "error-trim-rate=100%", $"error-trim-file={failTrims}");
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), new NbdDeviceOptions { StructuredReplies = structuredReplies });
        Assert.Equal(structuredReplies, device.Export.StructuredReplies);
        var data = Patterns.Random(8192, seed: 3);
        device.Write(0, data);

        File.WriteAllText(failReads, string.Empty);
        var read = Assert.Throws<IOException>(() => device.Read(0, new byte[8192]));
        Assert.Equal(typeof(IOException), read.GetType());
        Assert.Contains("EIO", read.Message, StringComparison.Ordinal);
        Assert.Contains("NBD_CMD_READ of 8192 bytes at offset 0", read.Message, StringComparison.Ordinal);
        Assert.Equal((int)NbdErrors.Eio, read.HResult);

        File.WriteAllText(failWrites, string.Empty);
        var write = Assert.Throws<DiskFullException>(() => device.Write(4096, data));
        Assert.Contains("ENOSPC", write.Message, StringComparison.Ordinal);

        File.WriteAllText(failTrims, string.Empty);
        var trim = Assert.Throws<UnauthorizedIOException>(() => device.Discard(0, 4096));
        Assert.Contains("EPERM", trim.Message, StringComparison.Ordinal);
        Assert.Contains("read-only", trim.Message, StringComparison.Ordinal);

        File.Delete(failReads);
        File.Delete(failWrites);
        File.Delete(failTrims);
        var back = new byte[data.Length];
        device.Read(0, back);
        Assert.Equal(data, back);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_killed_server_fails_every_pending_and_later_request_without_hanging(bool tcp)
    {
        var server = Nbdkit(tcp, "--filter=delay", "memory", "size=8M", "rdelay=5", "wdelay=5");
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), new NbdDeviceOptions { Connections = 2 });
        Assert.Equal(2, device.ConnectionCount);

        var pending = Enumerable.Range(0, 6).Select(i => i % 2 == 0
            ? device.ReadAsync(i * 4096L, new byte[4096], TestContext.Current.CancellationToken).AsTask()
            : device.WriteAsync(i * 4096L, new byte[4096], TestContext.Current.CancellationToken).AsTask()).ToList();
        pending.Add(Task.Run(() => device.Read(1 << 20, new byte[1 << 20]), TestContext.Current.CancellationToken));
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.All(pending, task => Assert.False(task.IsCompleted, task.Exception?.ToString()));

        var watch = Stopwatch.StartNew();
        server.Kill();
        foreach (var task in pending)
        {
            var e = await Assert.ThrowsAnyAsync<IOException>(() => task.WaitAsync(Patience, TestContext.Current.CancellationToken));
            Assert.Contains(device.Description, e.Message, StringComparison.Ordinal);
            Assert.Equal((int)NbdErrors.Eio, e.HResult);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"the pending requests took {watch.Elapsed} to fail");

        watch.Restart();
        Assert.Equal((int)NbdErrors.Eio, Assert.Throws<IOException>(() => device.Read(0, new byte[512])).HResult);
        Assert.Throws<IOException>(() => device.Write(0, new byte[512]));
        Assert.Throws<IOException>(device.Flush);
        await Assert.ThrowsAsync<IOException>(async () => await device.FlushAsync(TestContext.Current.CancellationToken));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"later requests took {watch.Elapsed} to fail");
    }

    [Fact]
    public async Task A_request_without_a_reply_within_the_timeout_breaks_the_connection()
    {
        var server = Nbdkit("--filter=delay", "memory", "size=8M", "rdelay=10");
        var options = new NbdDeviceOptions { RequestTimeout = TimeSpan.FromMilliseconds(500) };
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), options);
        device.Write(0, new byte[4096]);

        var watch = Stopwatch.StartNew();
        var slow = device.ReadAsync(0, new byte[4096], TestContext.Current.CancellationToken).AsTask();
        var e = await Assert.ThrowsAsync<IOException>(() => slow.WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.Contains("had no reply within 0.5 s", e.Message, StringComparison.Ordinal);
        Assert.Equal((int)NbdErrors.Eio, e.HResult);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(4));
        Assert.Contains("had no reply", Assert.Throws<IOException>(() => device.Write(0, new byte[4096])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nbdkit-file")]
    [InlineData("qemu-raw")]
    [InlineData("qemu-qcow2")]
    public void After_a_flush_the_data_is_in_the_backing_image_as_read_independently(string kind)
    {
        const long Length = 16L << 20;
        string format = kind == "qemu-qcow2" ? "qcow2" : "raw";
        string image = _directory.File("backing." + format);
        NbdServer.Run("qemu-img", "create", "-q", "-f", format, image, Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var server = Track(kind == "nbdkit-file"
            ? NbdServer.Nbdkit(_directory.Path, tcp: false, "file", image)
            : NbdServer.QemuNbd(_directory.Path, image, format, tcp: true, exportName: "vm disk", "--cache=writeback"));

        var data = Patterns.Random(3 << 20, seed: 7);
        const long At = 5L << 20;
        using (var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri)))
        {
            Assert.Equal(Length, device.Length);
            device.Write(At, data);
            device.Flush();

            string raw = image;
            if (format == "qcow2")
            {
                // qemu-img reads the image beside the running server (-U: without taking its lock).
                raw = _directory.File("converted.raw");
                NbdServer.Run("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", image, raw);
            }

            var back = new byte[data.Length];
            using (var file = new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                file.Position = At;
                file.ReadExactly(back);
            }

            Assert.Equal(data, back);
        }
    }

    [Fact]
    public void A_read_only_export_must_be_opened_read_only()
    {
        var server = Nbdkit("-r", "memory", "size=1M");
        var e = Assert.Throws<UnauthorizedIOException>(() => NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri)));
        Assert.Contains("read-only", e.Message, StringComparison.Ordinal);
        Assert.Equal(LinuxNative.Erofs, e.HResult);

        using var device = BlockDevice.Open(server.Uri, readOnly: true);
        Assert.IsType<NbdBlockDevice>(device);
        Assert.True(device.IsReadOnly);
        var buffer = Patterns.Filled(4096, 0xCD);
        device.Read(0, buffer);
        Assert.All(buffer, b => Assert.Equal(0, b));
        device.Flush();
        Assert.Throws<NotSupportedException>(() => device.Write(0, buffer));
    }

    [Fact]
    public async Task Asynchronous_and_synchronous_requests_side_by_side_each_get_their_own_reply()
    {
        // Operations are pooled across connections, completed by each connection's reader and returned by waiters
        // of both kinds: a completion must reach its own request alone, and every read its own data.
        const int Blocks = 64, BlockSize = 4096;
        var server = Nbdkit("memory", $"size={Blocks * BlockSize}");
        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        using var other = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        var image = Patterns.Random(Blocks * BlockSize, seed: 13);
        device.Write(0, image);
        device.Flush();

        void Check(byte[] buffer, int block) =>
            Assert.True(image.AsSpan(block * BlockSize, BlockSize).SequenceEqual(buffer), $"block {block} came back wrong");

        async Task Asynchronous(NbdBlockDevice on, int seed)
        {
            var random = new Random(seed);
            var buffer = new byte[BlockSize];
            for (int i = 0; i < 2000; i++)
            {
                int block = random.Next(Blocks);
                await on.ReadAsync((long)block * BlockSize, buffer, TestContext.Current.CancellationToken);
                Check(buffer, block);
            }
        }

        void Synchronous(NbdBlockDevice on, int seed)
        {
            var random = new Random(seed);
            var buffer = new byte[BlockSize];
            for (int i = 0; i < 2000; i++)
            {
                int block = random.Next(Blocks);
                on.Read((long)block * BlockSize, buffer);
                Check(buffer, block);
            }
        }

        var work = new List<Task>();
        for (int i = 0; i < 4; i++)
        {
            var on = i % 2 == 0 ? device : other;
            int seed = i;
            work.Add(Task.Run(() => Asynchronous(on, seed), TestContext.Current.CancellationToken));
            work.Add(Task.Factory.StartNew(() => Synchronous(on, seed + 100), TaskCreationOptions.LongRunning));
        }

        await Task.WhenAll(work).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void A_plain_connection_to_a_server_that_requires_tls_is_refused_with_a_message_that_names_nbds()
    {
        string keys = _directory.File("keys.psk");
        File.WriteAllText(keys, "alice:" + Convert.ToHexStringLower(Patterns.Random(32, seed: 11)) + "\n");
        var server = Nbdkit("--tls=require", $"--tls-psk={keys}", "memory", "size=1M");
        var e = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri)));
        Assert.Contains("requires TLS", e.Message, StringComparison.Ordinal);
        Assert.Contains("nbds://", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_carries_data_through_an_nbds_uri_and_a_server_without_tls_is_refused()
    {
        string pki = _directory.File("pki");
        TlsCertificates.Write(pki, withClient: false);
        var server = Nbdkit(true, "--tls=require", $"--tls-certificates={pki}", "memory", "size=4M");
        string uri = server.TlsUri(pki);
        var data = Patterns.Random(1 << 20, seed: 12);
        using (var device = BlockDevice.Open(uri, readOnly: false))
        {
            Assert.NotNull(((NbdBlockDevice)device).Endpoint.Tls);
            device.Write(4096, data);
            device.Flush();
        }

        using (var again = NbdBlockDevice.Connect(NbdEndpoint.Parse(uri), new NbdDeviceOptions { ReadOnly = true }))
        {
            var back = new byte[data.Length];
            again.Read(4096, back);
            Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)),
                Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(back)));
        }

        var plain = Nbdkit(true, "--tls=off", "memory", "size=1M");
        var e = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(TlsTo(plain, pki)));
        Assert.Contains("does not offer TLS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_certificate_from_another_authority_or_for_another_name_is_refused()
    {
        string pki = _directory.File("pki");
        string stranger = _directory.File("stranger");
        TlsCertificates.Write(pki, withClient: false);
        TlsCertificates.Write(stranger, withClient: false);
        var server = Nbdkit(true, "--tls=require", $"--tls-certificates={pki}", "memory", "size=1M");

        var watch = Stopwatch.StartNew();
        var untrusted = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(TlsTo(server, stranger)));
        Assert.Contains("TLS handshake", untrusted.Message, StringComparison.Ordinal);

        var misnamed = Assert.Throws<IOException>(() =>
            NbdBlockDevice.Connect(TlsTo(server, pki) with { Tls = new NbdTls { CertificatesDirectory = pki, HostName = "disk.example" } }));
        Assert.Contains("TLS handshake", misnamed.Message, StringComparison.Ordinal);

        // Without a certificates directory the system's authorities apply, which never signed the test's certificate.
        var system = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri) with { Tls = new NbdTls() }));
        Assert.Contains("TLS handshake", system.Message, StringComparison.Ordinal);

        // A directory without ca-cert.pem is refused rather than trusting the system's authorities in its place.
        var noAnchor = Assert.Throws<FileNotFoundException>(() => NbdBlockDevice.Connect(TlsTo(server, _directory.Path)));
        Assert.Contains("ca-cert.pem", noAnchor.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < Patience, $"refusals took {watch.Elapsed}");

        using var trusted = NbdBlockDevice.Connect(TlsTo(server, pki));
        Assert.Equal(1L << 20, trusted.Length);
    }

    [Fact]
    public void A_server_that_checks_client_certificates_refuses_a_client_without_one()
    {
        string pki = _directory.File("pki");
        TlsCertificates.Write(pki);
        string anonymous = _directory.File("anonymous");
        Directory.CreateDirectory(anonymous);
        File.Copy(Path.Combine(pki, NbdTls.CaCertificateFile), Path.Combine(anonymous, NbdTls.CaCertificateFile));
        string image = _directory.File("checked.img");
        NbdServer.Run("qemu-img", "create", "-q", "-f", "raw", image, "1M");
        var server = Track(NbdServer.QemuNbd(
            _directory.Path, image, "raw", tcp: true, "disk",
            "--object", $"tls-creds-x509,id=tls0,endpoint=server,dir={pki},verify-peer=on", "--tls-creds", "tls0"));

        var e = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(TlsTo(server, anonymous), new NbdDeviceOptions { ConnectTimeout = Patience }));
        Assert.DoesNotContain("did not complete", e.Message, StringComparison.Ordinal);

        using var device = NbdBlockDevice.Connect(TlsTo(server, pki));
        Assert.Equal(1L << 20, device.Length);
    }

    [Fact]
    public void An_unknown_export_name_is_refused_as_not_found()
    {
        string image = _directory.File("named.img");
        NbdServer.Run("qemu-img", "create", "-q", "-f", "raw", image, "1M");
        var server = Track(NbdServer.QemuNbd(_directory.Path, image, "raw", tcp: false, exportName: "present"));
        var endpoint = NbdEndpoint.Unix(server.SocketPath!, "absent");
        var e = Assert.Throws<FileNotFoundException>(() => NbdBlockDevice.Connect(endpoint));
        Assert.Contains("'absent'", e.Message, StringComparison.Ordinal);

        using var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri));
        Assert.Equal(1L << 20, device.Length);
    }

    [Fact]
    public void Nobody_listening_is_an_io_exception_at_once()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var e = Assert.Throws<IOException>(() => NbdBlockDevice.Connect(NbdEndpoint.Tcp("127.0.0.1", port)));
        Assert.Contains("Cannot connect", e.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => BlockDevice.Open($"nbd+unix:///?socket={_directory.File("nobody.sock")}"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_through_sends_fua_only_when_asked(bool writeThrough)
    {
        string log = _directory.File("requests.log");
        var server = Nbdkit("--filter=log", "memory", "size=1M", $"logfile={log}");
        using (var device = NbdBlockDevice.Connect(NbdEndpoint.Parse(server.Uri), new NbdDeviceOptions { WriteThrough = writeThrough }))
        {
            device.Write(0, new byte[4096]);
        }

        string write = File.ReadAllLines(log).Single(line => line.Contains(" Write id=", StringComparison.Ordinal));
        Assert.Contains(writeThrough ? "fua=1" : "fua=0", write, StringComparison.Ordinal);
    }

    private static NbdEndpoint TlsTo(NbdServer server, string certificates) =>
        NbdEndpoint.Parse(server.Uri) with { Tls = new NbdTls { CertificatesDirectory = certificates } };

    private NbdServer Nbdkit(params string[] arguments) => Nbdkit(false, arguments);

    private NbdServer Nbdkit(bool tcp, params string[] arguments) => Track(NbdServer.Nbdkit(_directory.Path, tcp, arguments));

    private T Track<T>(T disposable)
        where T : IDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }
}
