using System.Globalization;

namespace VexFs.Bench.FileSystem;

/// <summary>The comparisons as one aligned, markdown-style table.</summary>
internal static class ResultTable
{
    private static readonly string[] Header =
        ["workload", "size", "unit", "host file", "ext4", "VexFS", "VexFS / ext4", "peer RSS MiB", "VexFS RSS MiB", "VexFS alloc/op", "notes"];

    public static List<string> Format(IEnumerable<Comparison> comparisons)
    {
        var cells = new List<string[]> { Header };
        foreach (var c in comparisons)
        {
            cells.Add(
            [
                c.Workload, c.Size, c.Unit, Number(c.HostMedian), Number(c.Ext4Median), Number(c.OursMedian), Ratio(c.Ratio),
                Mebibytes(c.Ext4PeakRss), Mebibytes(c.OursPeakRss), Bytes(c.OursAllocatedPerUnit), string.Join("; ", c.Notes),
            ]);
        }

        var widths = Enumerable.Range(0, Header.Length).Select(i => cells.Max(row => row[i].Length)).ToArray();
        var lines = new List<string> { Line(cells[0], widths), Line(widths.Select((w, i) => Numeric(i) ? new string('-', w - 1) + ":" : new string('-', w)).ToArray(), widths) };
        lines.AddRange(cells.Skip(1).Select(row => Line(row, widths)));
        return lines;
    }

    private static bool Numeric(int column) => column is >= 3 and <= 9;

    private static string Line(string[] row, int[] widths) =>
        "| " + string.Join(" | ", row.Select((cell, i) => Numeric(i) ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))) + " |";

    private static string Number(double? value) => value switch
    {
        null => "-",
        >= 100 => value.Value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => value.Value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.Value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    private static string Ratio(double? value) => value is null ? "-" : value.Value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Mebibytes(long bytes) => bytes == 0 ? "-" : (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);

    private static string Bytes(double bytes) => bytes switch
    {
        <= 0 => "-",
        >= 1 << 20 => (bytes / 1048576).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1 << 10 => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString("0", CultureInfo.InvariantCulture) + " B",
    };
}
