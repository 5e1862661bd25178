namespace VexFs.BlockDevices.Linux;

/// <summary>Who is using a block device: the mount table and the swap list, read from /proc.</summary>
internal static class MountTable
{
    /// <summary>
    /// Describes how the device <paramref name="major"/>:<paramref name="minor"/>, or one of its partitions,
    /// is in use ("mounted on /mnt", "in use as swap"), or returns null when it is not.
    /// </summary>
    public static string? FindUse(string devicePath, uint major, uint minor)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal) { $"{major}:{minor}" };
        var paths = new HashSet<string>(StringComparer.Ordinal) { devicePath };
        foreach (var (id, path) in Partitions(major, minor))
        {
            ids.Add(id);
            paths.Add(path);
        }

        if (File.Exists("/proc/self/mountinfo"))
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // "36 35 98:0 /root /mnt/point rw,noatime shared:1 - ext4 /dev/sda1 rw"
                string[] fields = line.Split(' ');
                if (fields.Length > 4 && ids.Contains(fields[2]))
                {
                    return $"mounted on {Unescape(fields[4])}";
                }
            }
        }

        if (File.Exists("/proc/swaps"))
        {
            foreach (string line in File.ReadLines("/proc/swaps").Skip(1))
            {
                string source = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
                if (paths.Contains(source))
                {
                    return "in use as swap";
                }
            }
        }

        return null;
    }

    private static IEnumerable<(string Id, string Path)> Partitions(uint major, uint minor)
    {
        string sys = $"/sys/dev/block/{major}:{minor}";
        if (!Directory.Exists(sys))
        {
            yield break;
        }

        foreach (string child in Directory.EnumerateDirectories(sys))
        {
            string dev = System.IO.Path.Combine(child, "dev");
            if (File.Exists(System.IO.Path.Combine(child, "partition")) && File.Exists(dev))
            {
                yield return (File.ReadAllText(dev).Trim(), "/dev/" + System.IO.Path.GetFileName(child));
            }
        }
    }

    // mountinfo escapes space, tab, newline and backslash as octal.
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal)
            .Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal)
            .Replace("\\134", "\\", StringComparison.Ordinal);
}
