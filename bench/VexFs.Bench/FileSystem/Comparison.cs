namespace VexFs.Bench.FileSystem;

/// <summary>One workload measured on ext4 and on VexFS: each run's rate, peak resident set and allocations.</summary>
internal sealed record Comparison(string Workload, string Size, string Unit, double Scale)
{
    public List<double> Ext4 { get; } = [];

    /// <summary>fio on a plain file of the host filesystem that holds both images: the ceiling for both.</summary>
    public List<double> Host { get; } = [];

    public List<double> Ours { get; } = [];

    /// <summary>Peak RSS of whatever did the ext4 side's work (fio, or this process through System.IO).</summary>
    public long Ext4PeakRss { get; set; }

    /// <summary>Peak RSS of this process while the library did the work.</summary>
    public long OursPeakRss { get; set; }

    /// <summary>Managed bytes allocated by the VexFS side per unit of work (per operation, or per MiB).</summary>
    public double OursAllocatedPerUnit { get; set; }

    public List<string> Notes { get; } = [];

    public double? Ext4Median => Median(Ext4);

    public double? HostMedian => Median(Host);

    public double? OursMedian => Median(Ours);

    public double? Ratio => OursMedian / Ext4Median;

    private static double? Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
