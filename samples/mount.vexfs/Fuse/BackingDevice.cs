using System.Globalization;
using VexFs.Samples;

namespace MountVexfs.Fuse;

/// <summary>
/// The kernel's settings for a FUSE mount's backing device (/sys/class/bdi/MAJOR:MINOR/), which only root may
/// change, and only after INIT has been answered (the answer can lower the readahead, never raise it).
/// </summary>
/// <remarks>
/// <para>
/// Readahead: 128 KiB unless raised, which keeps a sequential reader to one request in flight at a time.
/// </para>
/// <para>
/// Dirty pages, with the writeback cache: the kernel gives a FUSE mount a strict limit of 1% of the dirty
/// threshold (<c>strict_limit</c>, <c>max_ratio</c>), because an unprivileged server could hold the pages
/// hostage. Under it a writer is throttled to the speed of writeback as soon as it has written a few
/// megabytes, and the cache absorbs nothing (4 KiB random writes ran at 3,000 to 5,000 a second with and
/// without it). A mount that root makes with the writeback cache gets a disk's limits instead: no strict limit
/// and the whole threshold, as an ext4 mount has.
/// </para>
/// </remarks>
internal static class BackingDevice
{
    /// <summary>
    /// Sets the readahead of the FUSE mount at <paramref name="mountPoint"/> to <paramref name="readaheadKibibytes"/>
    /// and, with <paramref name="writeback"/>, lifts the strict limit on its dirty pages; says why on
    /// <paramref name="log"/> when it cannot (not root, or no such mount).
    /// </summary>
    public static void Apply(string mountPoint, int readaheadKibibytes, bool writeback, TextWriter? log)
    {
        string? device = DeviceOf(mountPoint);
        if (device is null)
        {
            log?.WriteLine($"backing device: {mountPoint} is not in /proc/self/mountinfo; left as the kernel set it");
            return;
        }

        if (writeback)
        {
            Set(device, "max_ratio", 100, log);
            Set(device, "strict_limit", 0, log);
        }

        Set(device, "read_ahead_kb", readaheadKibibytes, log);
    }

    private static void Set(string device, string name, int value, TextWriter? log)
    {
        string setting = $"/sys/class/bdi/{device}/{name}";
        try
        {
            File.WriteAllText(setting, value.ToString(CultureInfo.InvariantCulture));
            log?.WriteLine($"backing device: {name} = {value} ({setting})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.WriteLine($"backing device: cannot set {setting} ({e.Message}); left as the kernel set it");
        }
    }

    /// <summary>The MAJOR:MINOR of the mount at <paramref name="mountPoint"/>; the last mount there is the one in use.</summary>
    private static string? DeviceOf(string mountPoint) =>
        MountTable.Entries().LastOrDefault(m => m.MountPoint == mountPoint).Device;
}
