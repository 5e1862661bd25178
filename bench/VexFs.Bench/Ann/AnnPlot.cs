using System.Text.Json;
using ScottPlot;

namespace VexFs.Bench.Ann;

/// <summary>
/// <c>ann plot OUT.png RESULTS.json...</c>: draws recall@10 against queries per second (a logarithmic axis) for
/// every graph index in the result files, one line per system, in the manner of ann-benchmarks. Filtered runs
/// and subtree searches, which answer a different question (an exact scope sits at recall 1 whatever the ef),
/// are left to the table.
/// </summary>
internal static class AnnPlot
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: ann plot OUT.png RESULTS.json [RESULTS.json ...]");
            return 2;
        }

        var plot = new Plot();
        plot.Add.Palette = new ScottPlot.Palettes.Category20();
        MarkerShape[] shapes = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.FilledTriangleDown];
        string? title = null;
        var lines = 0;
        foreach (var path in args[1..])
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var system in document.RootElement.EnumerateArray())
            {
                title ??= $"{system.GetProperty("n").GetInt32():N0} x {system.GetProperty("dim").GetInt32()} {system.GetProperty("metric").GetString()}, k = {system.GetProperty("k").GetInt32()}, {system.GetProperty("threads").GetInt32()} thread(s)";
                var name = system.GetProperty("system").GetString() ?? "?";
                var runs = system.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("ef").GetInt32() > 0).ToArray();
                if (runs.Length == 0 || name.Contains("filter", StringComparison.Ordinal) || name.Contains("subtree", StringComparison.Ordinal))
                {
                    continue;
                }

                var recall = runs.Select(r => r.GetProperty("recall_at_10").GetDouble()).ToArray();
                var qps = runs.Select(r => Math.Log10(r.GetProperty("qps").GetDouble())).ToArray();
                var line = plot.Add.Scatter(recall, qps);
                line.LegendText = name;
                line.MarkerShape = shapes[lines++ % shapes.Length];
                line.MarkerSize = 7;
            }
        }

        plot.Title(title ?? "recall / QPS");
        plot.XLabel("recall@10");
        plot.YLabel("queries per second");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.ShowLegend(Edge.Right);
        plot.SavePng(args[0], 1500, 800);
        Console.Error.WriteLine($"wrote {args[0]}");
        return 0;
    }
}
