using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using VexFs.Core;
using VexFs.Vectors;

namespace VexCtl;

/// <summary>Vector spaces, vectors on files and similarity search on an unmounted image.</summary>
internal static class VectorCommands
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON for scripts instead of text." };

    public static IEnumerable<Command> All() => [Spaces(), Space(), Vector(), Search()];

    private static Command Spaces()
    {
        var command = new Command("spaces", "List the vector spaces: name, dimension, metric and vectors stored.") { Json };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: true, fs =>
        {
            var spaces = fs.GetVectorSpaces();
            if (parsed.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(spaces.Select(s => new SpaceJson(s.Name, s.Dimension, MetricName(s.Metric), s.Count)).ToArray(), VectorJson.Default.SpaceJsonArray));
                return;
            }

            foreach (var s in spaces)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Name}\t{s.Dimension}\t{MetricName(s.Metric)}\t{s.Count}"));
            }
        }));
        return command;
    }

    private static Command Space()
    {
        var name = new Argument<string>("name");
        var dimension = new Argument<int>("dimension") { Description = "1 to 4096 components." };
        var metric = new Argument<string>("metric") { Description = "l2, cosine or ip." };
        var create = new Command("create", "Create a vector space.") { name, dimension, metric };
        create.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            fs.CreateVectorSpace(parsed.GetValue(name)!, parsed.GetValue(dimension), ParseMetric(parsed.GetValue(metric)!));
            fs.Flush();
        }));
        var dropName = new Argument<string>("name");
        var drop = new Command("drop", "Drop a vector space and every vector in it.") { dropName };
        drop.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            fs.DropVectorSpace(parsed.GetValue(dropName)!);
            fs.Flush();
        }));
        return new Command("space", "Create or drop a vector space.") { create, drop };
    }

    private static Command Vector()
    {
        var space = new Option<string>("--space", "-s") { Description = "The vector space.", Required = true };
        var setPath = new Argument<string>("path");
        var values = new Argument<string?>("values") { Description = "Comma-separated components, e.g. 0.1,0.2,0.3.", Arity = ArgumentArity.ZeroOrOne };
        var from = new Option<string?>("--from") { Description = "Take the vector from a .fvecs file instead." };
        var row = new Option<int>("--row") { Description = "Which vector of --from (0 is the first).", DefaultValueFactory = _ => 0 };
        var set = new Command("set", "Set a file's vector, replacing any.") { setPath, values, space, from, row };
        set.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            var vector = parsed.GetValue(from) is { } file ? ReadFvecs(file, parsed.GetValue(row)) : ParseVector(parsed.GetValue(values));
            fs.SetVector(parsed.GetValue(setPath)!, parsed.GetValue(space)!, vector);
            fs.Flush();
        }));
        var getPath = new Argument<string>("path");
        var get = new Command("get", "Print a file's vector (as stored: unit length under cosine).") { getPath, space, Json };
        get.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: true, fs =>
        {
            var vector = fs.GetVector(parsed.GetValue(getPath)!, parsed.GetValue(space)!)
                ?? throw new KeyNotFoundException($"'{parsed.GetValue(getPath)}' has no vector in '{parsed.GetValue(space)}'.");
            Console.WriteLine(parsed.GetValue(Json) ? JsonSerializer.Serialize(vector, VectorJson.Default.SingleArray) : string.Join(',', vector.Select(c => c.ToString("R", CultureInfo.InvariantCulture))));
        }));
        var removePath = new Argument<string>("path");
        var remove = new Command("rm", "Remove a file's vector.") { removePath, space };
        remove.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            if (!fs.RemoveVector(parsed.GetValue(removePath)!, parsed.GetValue(space)!))
            {
                throw new KeyNotFoundException($"'{parsed.GetValue(removePath)}' has no vector in '{parsed.GetValue(space)}'.");
            }

            fs.Flush();
        }));
        return new Command("vector", "Set, get or remove the vector of a file.") { set, get, remove };
    }

    private static Command Search()
    {
        var directory = new Argument<string>("directory") { Description = "Search the files in it (and below it, unless --flat)." };
        var space = new Option<string>("--space", "-s") { Description = "The vector space.", Required = true };
        var topK = new Option<int>("--top-k", "-k") { Description = "How many results.", DefaultValueFactory = _ => 10 };
        var vector = new Option<string?>("--vector") { Description = "The query: comma-separated components." };
        var from = new Option<string?>("--from") { Description = "Take the query from a .fvecs file." };
        var row = new Option<int>("--row") { Description = "Which vector of --from.", DefaultValueFactory = _ => 0 };
        var flat = new Option<bool>("--flat") { Description = "Only the files the directory itself names." };
        var exact = new Option<bool>("--exact") { Description = "Compare with every vector in scope (brute force)." };
        var effort = new Option<int?>("--ef") { Description = "The graph search's candidate list (effort)." };
        var command = new Command("search", "Find the files whose vectors are nearest to a query.") { directory, space, topK, vector, from, row, flat, exact, effort, Json };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: true, fs =>
        {
            var query = parsed.GetValue(from) is { } file ? ReadFvecs(file, parsed.GetValue(row))
                : ParseVector(parsed.GetValue(vector) ?? throw new ArgumentException("Give the query with --vector or --from."));
            var options = new VexSearchOptions { Subtree = !parsed.GetValue(flat), Exact = parsed.GetValue(exact), Effort = parsed.GetValue(effort) };
            var hits = fs.Search(parsed.GetValue(directory)!, parsed.GetValue(space)!, query, parsed.GetValue(topK), options);
            if (parsed.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(hits.Select(h => new HitJson(h.Path, h.Inode, h.Distance)).ToArray(), VectorJson.Default.HitJsonArray));
                return;
            }

            foreach (var hit in hits)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{hit.Distance,12:G6}  {hit.Path}"));
            }
        }));
        return command;
    }

    private static VectorMetric ParseMetric(string text) => text.ToLowerInvariant() switch
    {
        "l2" => VectorMetric.L2,
        "cosine" or "cos" => VectorMetric.Cosine,
        "ip" or "dot" => VectorMetric.InnerProduct,
        _ => throw new ArgumentException($"'{text}' is not a metric (l2, cosine, ip)."),
    };

    private static string MetricName(VectorMetric metric) => metric switch
    {
        VectorMetric.Cosine => "cosine",
        VectorMetric.InnerProduct => "ip",
        _ => "l2",
    };

    private static float[] ParseVector(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("Give the vector's components, comma-separated, or --from FILE.fvecs.");
        }

        return [.. text.Split(',').Select(c => float.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new ArgumentException($"'{c}' is not a number."))];
    }

    /// <summary>Vector <paramref name="row"/> of a .fvecs file (each vector: its dimension as int32, then that many float32).</summary>
    private static float[] ReadFvecs(string path, int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        using var file = File.OpenRead(path);
        var header = new byte[4];
        file.ReadExactly(header);
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (dimension is < 1 or > VectorSpace.MaxDimension)
        {
            throw new FormatException($"'{path}' is not a .fvecs file: its first vector claims {dimension} components.");
        }

        long stride = 4 + (4L * dimension);
        if ((row + 1) * stride > file.Length)
        {
            throw new ArgumentException($"'{path}' holds {file.Length / stride} vectors; there is no row {row}.");
        }

        file.Position = (row * stride) + 4;
        var bytes = new byte[4 * dimension];
        file.ReadExactly(bytes);
        return [.. Enumerable.Range(0, dimension).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)))];
    }
}
