using System.Diagnostics;
using System.Globalization;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// The metadata workload, the same on every target: <c>files</c> empty files created and fsynced one by one
/// in one directory, stat-ed, and deleted (then one directory sync); as many created and fsynced by several
/// threads at once; a second directory filled with <c>entries</c> empty files (then one sync) and listed. Each loop stops at <c>cap</c> and says how far it got.
/// </summary>
internal sealed class MetadataWorkload(MetadataTarget target, int files, int entries, TimeSpan cap)
{
    private const string Small = "/small";
    private const string Big = "/big";
    private const string Warm = "/warm";

    /// <summary>Files each workload runs on, untimed, in <see cref="WarmUp"/>.</summary>
    public const int WarmUpFiles = 2000;
    private int _created;
    private int _populated;

    public MetadataTarget Target => target;

    /// <summary>How many names the big directory holds (fewer than asked when filling it hit the cap).</summary>
    public int Populated => _populated;

    /// <summary>
    /// Runs every workload once, untimed, on <see cref="WarmUpFiles"/> files of a scratch directory, so that the
    /// timed runs measure the steady state: the library's code compiled by the JIT's optimizing tier, as the
    /// kernel's always is, and both sides' caches holding what a running system's would.
    /// </summary>
    public void WarmUp()
    {
        target.CreateDirectory(Warm);
        for (int i = 0; i < WarmUpFiles; i++)
        {
            target.CreateDurably(Name(Warm, i));
        }

        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < WarmUpFiles; i++)
            {
                target.Stat(Name(Warm, i));
            }

            target.List(Warm);
            for (int i = 0; i < WarmUpFiles; i++)
            {
                target.Delete(Name(Warm, i));
            }

            target.Sync(Warm);
            for (int i = 0; i < WarmUpFiles; i++)
            {
                target.Create(Name(Warm, i));
            }

            target.Sync(Warm);
        }

        for (int i = 0; i < WarmUpFiles; i++)
        {
            target.Delete(Name(Warm, i));
        }

        target.Sync(Warm);
    }

    public Run CreateDurably()
    {
        target.CreateDirectory(Small);
        var run = Loop(files, i => target.CreateDurably(SmallFile(i)));
        _created = (int)run.Done;
        return run;
    }

    /// <summary>
    /// The same number of files created and fsynced one by one, by <paramref name="threads"/> threads at once
    /// in a directory of their own (where group commit shows: fsyncs that arrive together share a commit).
    /// </summary>
    public Run CreateDurablyInParallel(int threads)
    {
        const string Parallel = "/parallel";
        target.CreateDirectory(Parallel);
        long start = Stopwatch.GetTimestamp();
        long done = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = t; i < files && Stopwatch.GetElapsedTime(start) < cap; i += threads)
            {
                target.CreateDurably(Name(Parallel, i));
                Interlocked.Increment(ref done);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return new Run(done, files, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    public Run Stat() => Loop(_created, i => target.Stat(SmallFile(i)));

    public Run Delete() => Loop(_created, i => target.Delete(SmallFile(i)), () => target.Sync(Small));

    /// <summary>Fills the big directory; timed too, though only as the setup of <see cref="List"/>.</summary>
    public Run Populate()
    {
        target.CreateDirectory(Big);
        var run = Loop(entries, i => target.Create(Name(Big, i)), () => target.Sync(Big));
        _populated = (int)run.Done;
        return run;
    }

    /// <summary>One listing of the big directory; counts the names it returned.</summary>
    public Run List()
    {
        long start = Stopwatch.GetTimestamp();
        int listed = target.List(Big);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (listed != _populated)
        {
            throw new InvalidOperationException($"listed {listed} names in {Big}, but {_populated} were created");
        }

        return new Run(listed, listed, seconds);
    }

    private static string SmallFile(int i) => Name(Small, i);

    private static string Name(string directory, int i) => string.Create(CultureInfo.InvariantCulture, $"{directory}/f{i:D6}");

    private Run Loop(int count, Action<int> operation, Action? finish = null)
    {
        long start = Stopwatch.GetTimestamp();
        int done = 0;
        for (; done < count && Stopwatch.GetElapsedTime(start) < cap; done++)
        {
            operation(done);
        }

        finish?.Invoke();
        return new Run(done, count, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
}
