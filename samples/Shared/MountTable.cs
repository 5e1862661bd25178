namespace VexFs.Samples;

/// <summary>The mounts this process sees, from /proc/self/mountinfo, in the order they were made.</summary>
internal static class MountTable
{
    /// <summary>Each mount: its device number (MAJOR:MINOR), its mount point and its filesystem type.</summary>
    public static IEnumerable<(string Device, string MountPoint, string Type)> Entries()
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // 36 35 0:52 / /mnt/vexfs rw,relatime shared:1 - fuse.vexfs /dev/loop0 rw,...: the device number is the
            // third field, the mount point the fifth (spaces escaped as \040), the type follows the " - ".
            var fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length >= 5 && separator >= 0 && separator + 1 < fields.Length)
            {
                yield return (fields[2], fields[4].Replace("\\040", " ", StringComparison.Ordinal), fields[separator + 1]);
            }
        }
    }
}
