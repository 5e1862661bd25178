using System.Diagnostics;

namespace VexFs.Mount.Tests;

/// <summary>
/// A filesystem on a network block device, named by its NBD address everywhere a device path goes: formatted by
/// mkfs.vexfs, mounted with mount -t vexfs, used with vexctl on the mount, checked by fsck.vexfs; in clear and
/// over TLS (an nbds+unix:// address that names the certificates).
/// </summary>
[Collection(Mounts.Name)]
public sealed class NbdMountTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_nbd_export_is_formatted_mounted_and_checked_by_its_address(bool tls)
    {
        Assert.True(File.Exists("/sbin/mount.vexfs"), "/sbin/mount.vexfs is missing: scripts/install.sh (or scripts/test.sh as root) installs it");
        string root = Directory.CreateTempSubdirectory("vexfs-nbd-").FullName;
        string image = Path.Combine(root, "export.img");
        string mountPoint = Path.Combine(root, "mnt");
        Directory.CreateDirectory(mountPoint);
        Shell.Ok($"truncate -s 256M {image}", root);
        string pki = Path.Combine(root, "pki");
        string[] serverTls = [];
        if (tls)
        {
            TlsCertificates.Write(pki, withClient: false);
            serverTls = ["--tls=require", $"--tls-certificates={pki}"];
        }

        using var server = NbdServer.Nbdkit(root, tcp: false, [.. serverTls, "file", image]);
        try
        {
            string address = tls ? server.TlsUri(pki) : server.Uri;
            var made = Shell.Tool("mkfs.vexfs", "-q", "-V", "text:3", address);
            Assert.True(made.ExitCode == 0, made.Error);

            Shell.Ok($"mount -t vexfs -o allow_other '{address}' {mountPoint}", root, TimeSpan.FromMinutes(1));
            Assert.Equal($"{address} fuse.vexfs\n", Shell.Ok($"findmnt -n -o SOURCE,FSTYPE {mountPoint} | tr -s ' '", root));
            Shell.Ok("head -c 5000000 /dev/urandom > data && sha256sum data > data.sum && sync -f data", mountPoint);
            var set = Shell.Tool("vexctl", "vector", "set", Path.Combine(mountPoint, "data"), "0.5,1,2", "--space", "text");
            Assert.True(set.ExitCode == 0, set.Error);
            var search = Shell.Tool("vexctl", "search", mountPoint, "--space", "text", "--vector", "0.5,1,2", "--top-k", "1");
            Assert.True(search.ExitCode == 0, search.Error);
            Assert.Equal($"           0  {mountPoint}/data\n", search.Output);
            Shell.Ok($"umount {mountPoint}", root);

            // The host closes the export once the kernel lets the mount go; then the checker connects to it.
            Shell.Result check = default;
            var clock = Stopwatch.StartNew();
            do
            {
                Thread.Sleep(100);
                check = Shell.Tool("fsck.vexfs", "-n", "-f", address);
            }
            while (check.ExitCode != 0 && clock.Elapsed < TimeSpan.FromSeconds(30));

            Assert.True(check.ExitCode == 0, check.Output + check.Error);
            Assert.Contains("clean", Shell.Tool("fsck.vexfs", "-n", address).Output, StringComparison.Ordinal);

            // What the export holds is the filesystem written through it: mounted again from the image file alone.
            server.Kill();
            var mounted = Shell.Tool("mount.vexfs", image, mountPoint, "-o", "ro");
            Assert.True(mounted.ExitCode == 0, mounted.Error);
            Shell.Ok($"cd {mountPoint} && sha256sum -c --quiet data.sum; s=$?; cd / && umount {mountPoint}; exit $s", root, TimeSpan.FromMinutes(1));
        }
        finally
        {
            server.Kill();
            Shell.Bash($"mountpoint -q {mountPoint} && umount -l {mountPoint}", root);
            Directory.Delete(root, recursive: true);
        }
    }
}
