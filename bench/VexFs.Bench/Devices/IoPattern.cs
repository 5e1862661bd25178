namespace VexFs.Bench.Devices;

/// <summary>The access patterns measured, named as fio names them.</summary>
public enum IoPattern
{
    Read,
    Write,
    RandRead,
    RandWrite,
}

internal static class IoPatternExtensions
{
    public static bool IsWrite(this IoPattern pattern) => pattern is IoPattern.Write or IoPattern.RandWrite;

    public static bool IsRandom(this IoPattern pattern) => pattern is IoPattern.RandRead or IoPattern.RandWrite;

    public static string FioName(this IoPattern pattern) => pattern.ToString().ToLowerInvariant();
}
