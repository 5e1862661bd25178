using System.Globalization;
using MountVexfs.Native;
using VexFs.BlockDevices.Nbd;

namespace MountVexfs;

/// <summary>What mount.vexfs was asked to do: the device, the mount point, and the -o options.</summary>
internal sealed record MountOptions
{
    /// <summary>Options mount(8) and fstab may pass that concern neither the kernel nor this host.</summary>
    private static readonly HashSet<string> Ignored = ["defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser", "users", "owner", "group", "async", "default_permissions"];

    public required string Device { get; init; }

    public required string MountPoint { get; init; }

    public bool ReadOnly { get; init; }

    public bool AllowOther { get; init; }

    public bool Foreground { get; init; }

    public bool Debug { get; init; }

    /// <summary>The mount(2) flags: nosuid, nodev, noexec, noatime and the like.</summary>
    public ulong Flags { get; init; }

    /// <summary>The block cache in bytes (block_cache=MiB).</summary>
    public long? BlockCacheBytes { get; init; }

    /// <summary>The names the directory cache keeps (name_cache=N).</summary>
    public int? NameCacheEntries { get; init; }

    /// <summary>
    /// Whether the kernel may cache writes and send them later (writeback_cache). Off by default
    /// (no_writeback_cache): each write goes through at once and a full disk is reported by the write itself,
    /// as on ext4, where a writeback cache reports it only at fsync or close.
    /// </summary>
    public bool WritebackCache { get; init; }

    /// <summary>The kernel's readahead window for the mount in KiB (readahead=KiB; root only), 4 MiB by default.</summary>
    public int ReadaheadKibibytes { get; init; } = 4096;

    /// <summary>How many requests are served at once (workers=N).</summary>
    public int Workers { get; init; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>
    /// Parses mount(8)'s helper arguments: DEVICE DIR [-o OPTIONS] [-f] [-d] [-r] [-w] [-n] [-s] [-v]
    /// (-n, -s and -v, which mount(8) may add, change nothing here).
    /// </summary>
    /// <exception cref="ArgumentException">An argument or option is not understood, or DEVICE or DIR is missing.</exception>
    public static MountOptions Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        var options = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-o" when i + 1 < args.Count:
                    options.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "-o":
                    throw new ArgumentException("-o needs a list of options");
                case "-f":
                    options.Add("foreground");
                    break;
                case "-d":
                    options.Add("debug");
                    break;
                case "-r":
                    options.Add("ro");
                    break;
                case "-w":
                    options.Add("rw");
                    break;
                case "-n" or "-s" or "-v":
                    break;
                case var flag when flag.StartsWith('-') && flag.Length > 1:
                    throw new ArgumentException($"unknown argument '{flag}'");
                default:
                    positional.Add(args[i]);
                    break;
            }
        }

        if (positional.Count != 2)
        {
            throw new ArgumentException("expected a device (or image file) and a mount point");
        }

        // An NBD address (nbd://host/export, nbd+unix:///export?socket=PATH) is no path to resolve.
        string device = NbdEndpoint.IsNbdUri(positional[0]) ? positional[0] : Path.GetFullPath(positional[0]);
        var result = new MountOptions { Device = device, MountPoint = Path.GetFullPath(positional[1]) };
        foreach (string option in options)
        {
            result = result.With(option);
        }

        return result;
    }

    /// <summary>The options as -o takes them, for the host that serves the mount in the background.</summary>
    public string ToOptionString()
    {
        var parts = new List<string> { ReadOnly ? "ro" : "rw" };
        if (AllowOther)
        {
            parts.Add("allow_other");
        }

        parts.AddRange(FlagNames());

        if (BlockCacheBytes is { } cache)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"block_cache={cache >> 20}"));
        }

        if (NameCacheEntries is { } names)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"name_cache={names}"));
        }

        parts.Add(WritebackCache ? "writeback_cache" : "no_writeback_cache");
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"readahead={ReadaheadKibibytes}"));
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"workers={Workers}"));
        return string.Join(',', parts);
    }

    /// <summary>The names of the mount flags set, as -o takes them.</summary>
    public IEnumerable<string> FlagNames() => MountFlags.Where(f => (Flags & f.Flag) != 0).Select(f => f.Name);

    private static readonly (string Name, ulong Flag)[] MountFlags =
    [
        ("nosuid", LibC.MsNoSuid), ("nodev", LibC.MsNoDev), ("noexec", LibC.MsNoExec), ("sync", LibC.MsSynchronous),
        ("noatime", LibC.MsNoAtime), ("nodiratime", LibC.MsNoDirAtime), ("relatime", LibC.MsRelAtime),
    ];

    private MountOptions With(string option)
    {
        string name = option;
        string? value = null;
        int equals = option.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
        {
            name = option[..equals];
            value = option[(equals + 1)..];
        }

        switch (name)
        {
            case "ro":
                return this with { ReadOnly = true };
            case "rw":
                return this with { ReadOnly = false };
            case "allow_other":
                return this with { AllowOther = true };
            case "foreground":
                return this with { Foreground = true };
            case "debug":
                return this with { Debug = true, Foreground = true };
            case "block_cache":
                return this with { BlockCacheBytes = (long)Number(name, value, 1, 1 << 20) << 20 };
            case "name_cache":
                return this with { NameCacheEntries = Number(name, value, 0, 1 << 26) };
            case "writeback_cache":
                return this with { WritebackCache = true };
            case "no_writeback_cache":
                return this with { WritebackCache = false };
            case "readahead":
                return this with { ReadaheadKibibytes = Number(name, value, 4, 1 << 20) };
            case "workers":
                return this with { Workers = Number(name, value, 1, 256) };
            case "suid" or "dev" or "exec" or "atime" or "diratime" or "strictatime":
                return this with { Flags = Flags & ~FlagOf(name == "strictatime" ? "relatime" : "no" + name) };
            case var _ when Ignored.Contains(name) || name.StartsWith("x-", StringComparison.Ordinal) || name == "comment":
                return this;
            case var _ when MountFlags.Any(f => f.Name == name):
                return this with { Flags = Flags | FlagOf(name) };
            default:
                throw new ArgumentException($"unknown option '{option}'");
        }
    }

    private static ulong FlagOf(string name) => MountFlags.FirstOrDefault(f => f.Name == name).Flag;

    private static int Number(string name, string? value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number >= min && number <= max
            ? number
            : throw new ArgumentException($"option {name} needs a number from {min} to {max}");
}
