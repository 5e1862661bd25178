using VexFs.BlockDevices;
using VexFs.Format.Check;

namespace VexFs.Fuzz.Targets;

/// <summary>fsck over a fuzzed small image: a read-only check, a repair, and a check of the repaired image.</summary>
internal static class FsckTarget
{
    public static void Run(byte[] input) => Check(SparseImage.Decode(input));

    public static void Check(MemoryBlockDevice device)
    {
        FileSystemChecker.Check(device.Snapshot(readOnly: true), new CheckOptions { Force = true });
        FileSystemChecker.Check(device, new CheckOptions { Force = true, Repair = true });
        FileSystemChecker.Check(device, new CheckOptions { Force = true });
    }

    public static IEnumerable<byte[]> Seeds() => [SparseImage.Encode(SampleImage.SmallClean), SparseImage.Encode(SampleImage.SmallNeedsRecovery)];
}
