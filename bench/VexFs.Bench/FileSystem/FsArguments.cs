using System.Globalization;

namespace VexFs.Bench.FileSystem;

/// <summary>The options of the <c>fs</c> command.</summary>
internal sealed record FsArguments(
    string Image, string Ext4Device, string Ext4Mount, string? HostDirectory, string? Out, long StreamSize, double Seconds, int Files, int Entries, TimeSpan Cap, int Repeats)
{
    public const string Usage =
        "fs --image FILE --ext4-device /dev/loopN --ext4-mount DIR [--host-dir DIR] [--out DIR] [--stream-size 1G] [--seconds 5] [--files 10000] [--entries 100000] [--cap-seconds 300] [--repeats 3]";

    public static FsArguments Parse(string[] args)
    {
        string? image = null, device = null, mount = null, host = null, output = null;
        long streamSize = 1L << 30;
        double seconds = 5, cap = 300;
        int files = 10_000, entries = 100_000, repeats = 3;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--image": image = value; break;
                case "--ext4-device": device = value; break;
                case "--ext4-mount": mount = value; break;
                case "--host-dir": host = value; break;
                case "--out": output = value; break;
                case "--stream-size": streamSize = Size(arg, value); break;
                case "--seconds": seconds = PositiveSeconds(arg, value); break;
                case "--files": files = (int)Size(arg, value); break;
                case "--entries": entries = (int)Size(arg, value); break;
                case "--cap-seconds": cap = PositiveSeconds(arg, value); break;
                case "--repeats": repeats = (int)Size(arg, value); break;
                default: throw new ArgumentException($"unknown option {arg}");
            }
        }

        if (image is null || !File.Exists(image))
        {
            throw new ArgumentException("--image must name an existing image file");
        }

        if (device is null || mount is null || !Directory.Exists(mount))
        {
            throw new ArgumentException("--ext4-device and --ext4-mount must name the loop device and where it is mounted");
        }

        if (streamSize % StreamTarget.SequentialBlock != 0)
        {
            throw new ArgumentException("--stream-size must be a whole number of MiB");
        }

        return new FsArguments(image, device, mount, host, output, streamSize, seconds, files, entries, TimeSpan.FromSeconds(cap), repeats);
    }

    /// <summary>A positive count or size, with an optional binary suffix (K, M, G).</summary>
    private static long Size(string name, string value)
    {
        int shift = char.ToUpperInvariant(value[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 };
        string digits = shift == 0 ? value : value[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
            ? n << shift
            : throw new ArgumentException($"{name} needs a positive number, not '{value}'");
    }

    private static double PositiveSeconds(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
            ? s
            : throw new ArgumentException($"{name} needs a positive number of seconds, not '{value}'");
}
