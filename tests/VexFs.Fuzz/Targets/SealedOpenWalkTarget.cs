namespace VexFs.Fuzz.Targets;

/// <summary>Open-then-walk of a small image patched with every checksum made to match.</summary>
internal static class SealedOpenWalkTarget
{
    public static void Run(byte[] input) => OpenWalkTarget.Walk(SealedImage.Decode(input));

    public static IEnumerable<byte[]> Seeds() => SealedImage.Seeds();
}
