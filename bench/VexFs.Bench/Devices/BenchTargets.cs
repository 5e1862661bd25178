using VexFs.BlockDevices;
using VexFs.BlockDevices.Nbd;

namespace VexFs.Bench.Devices;

/// <summary>
/// The devices under test, set by the command before BenchmarkDotNet runs in-process: a target name maps to
/// the path (or NBD address) that both VexFS and fio use and to the way VexFS opens it.
/// </summary>
internal static class BenchTargets
{
    public const string ImageDirect = "image O_DIRECT";
    public const string Raw = "raw O_DIRECT";
    public const string NbdQemu = "NBD qemu-nbd";
    public const string NbdKit = "NBD nbdkit";

    public static Dictionary<string, string> Paths { get; } = [];

    public static long Length { get; set; }

    public static BlockDevice Open(string target) => target switch
    {
        ImageDirect => ImageFileDevice.Open(Paths[target], new ImageFileOptions { DirectIO = true }),
        Raw => LinuxBlockDevice.Open(Paths[target]),
        NbdQemu or NbdKit => NbdBlockDevice.Connect(NbdEndpoint.Parse(Paths[target])),
        _ => throw new ArgumentException($"unknown target {target}"),
    };
}
