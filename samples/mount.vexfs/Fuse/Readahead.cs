using System.Globalization;
using VexFs.Samples;

namespace MountVexfs.Fuse;

/// <summary>
/// The kernel's readahead for a FUSE mount: 128 KiB unless raised, which keeps a sequential reader to one
/// request in flight at a time. The window lives in the mount's backing-device info
/// (/sys/class/bdi/MAJOR:MINOR/read_ahead_kb), which only root may change, and only after INIT has been
/// answered (the answer can lower it, never raise it).
/// </summary>
internal static class Readahead
{
    /// <summary>
    /// Sets the readahead of the FUSE mount at <paramref name="mountPoint"/> to <paramref name="kibibytes"/>;
    /// says why on <paramref name="log"/> when it cannot (not root, or no such mount).
    /// </summary>
    public static void Apply(string mountPoint, int kibibytes, TextWriter? log)
    {
        string? device = DeviceOf(mountPoint);
        if (device is null)
        {
            log?.WriteLine($"readahead: {mountPoint} is not in /proc/self/mountinfo; left as the kernel set it");
            return;
        }

        string setting = $"/sys/class/bdi/{device}/read_ahead_kb";
        try
        {
            File.WriteAllText(setting, kibibytes.ToString(CultureInfo.InvariantCulture));
            log?.WriteLine($"readahead: {kibibytes} KiB ({setting})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.WriteLine($"readahead: cannot set {setting} ({e.Message}); left as the kernel set it");
        }
    }

    /// <summary>The MAJOR:MINOR of the mount at <paramref name="mountPoint"/>; the last mount there is the one in use.</summary>
    private static string? DeviceOf(string mountPoint) =>
        MountTable.Entries().LastOrDefault(m => m.MountPoint == mountPoint).Device;
}
