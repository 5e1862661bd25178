namespace VexFs.Soak;

/// <summary>What a soak run did and what went wrong, printed at the end.</summary>
internal sealed class SoakTotals
{
    public long Operations { get; set; }

    public long Refusals { get; set; }

    public long Flushes { get; set; }

    public long InjectedIOErrors { get; set; }

    public long InjectedDiskFull { get; set; }

    public long Cuts { get; set; }

    public long Recoveries { get; set; }

    public long FsckClean { get; set; }

    public long FsckUnclean { get; set; }

    public long DurableFilesChecked { get; set; }

    public List<string> Failures { get; } = [];

    public override string ToString() =>
        $"operations {Operations} (refused as expected {Refusals}), flushes {Flushes}, injected EIO {InjectedIOErrors}, injected ENOSPC {InjectedDiskFull}, " +
        $"power cuts {Cuts}, recoveries {Recoveries}, fsck clean {FsckClean}, fsck unclean {FsckUnclean}, durable files checked {DurableFilesChecked}, failures {Failures.Count}";
}
