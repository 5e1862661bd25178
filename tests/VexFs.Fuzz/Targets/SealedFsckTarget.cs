namespace VexFs.Fuzz.Targets;

/// <summary>fsck (-n, -y, -n) over a small image patched with every checksum made to match.</summary>
internal static class SealedFsckTarget
{
    public static void Run(byte[] input) => FsckTarget.Check(SealedImage.Decode(input));

    public static IEnumerable<byte[]> Seeds() => SealedImage.Seeds();
}
