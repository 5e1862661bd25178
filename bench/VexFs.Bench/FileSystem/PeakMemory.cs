using System.Globalization;

namespace VexFs.Bench.FileSystem;

/// <summary>This process's peak resident set (VmHWM), which the harness resets before each measurement.</summary>
internal static class PeakMemory
{
    /// <summary>
    /// Returns what garbage the last measurement left to the system, then starts a new peak from the current
    /// resident set (writing 5 to clear_refs, Linux 4.0+).
    /// </summary>
    public static void Reset()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
            // Without it the peak is the process's whole-life peak, which only overstates.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    /// <summary>The peak resident set since the last <see cref="Reset"/>, in bytes.</summary>
    public static long Peak() => Status("VmHWM:");

    private static long Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kib = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
