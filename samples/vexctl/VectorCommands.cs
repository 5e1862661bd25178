using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using VexFs.Core;
using VexFs.Vectors;

namespace VexCtl;

/// <summary>
/// Vector spaces, vectors on files and similarity search on an unmounted image; vectors and search also on a
/// mounted VexFS (a path on the mount and no --device), through its extended attributes and ioctls.
/// </summary>
internal static class VectorCommands
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON for scripts instead of text." };

    public static IEnumerable<Command> All() => [Spaces(), Space(), Vector(), ImportCommand.Create(), IndexCommand.Create(), Search()];

    /// <summary>The space named <paramref name="name"/>.</summary>
    internal static VectorSpaceInfo FindSpace(VexFileSystem fs, string name) =>
        fs.GetVectorSpaces().FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"There is no vector space '{name}' (vexctl space create makes one).");

    /// <summary>The optional path that names a mounted VexFS to work on through its ioctls, instead of --device.</summary>
    private static Argument<string?> MountPath() =>
        new("mount") { Description = "A path on a mounted VexFS (without --device): work through the mount.", Arity = ArgumentArity.ZeroOrOne };

    private static Command Spaces()
    {
        var mount = MountPath();
        var command = new Command("spaces", "List the vector spaces: name, dimension, metric and vectors stored (with --json, also how many times the index was saved and the changes since).") { mount, Json };
        command.SetAction(parsed =>
        {
            bool json = parsed.GetValue(Json);
            return OnMountPath(parsed, parsed.GetValue(mount), () => PrintSpaces([.. MountedVectors.Spaces(parsed.GetValue(mount)!).Select(s => new SpaceJson(s.Name, s.Dimension, MetricName(s.Metric), s.Vectors, s.IndexGeneration, s.UnsavedChanges))], json))
                ?? ImageCommands.WithFileSystem(parsed, readOnly: true, fs =>
                    PrintSpaces([.. fs.GetVectorSpaces().Select(s => new SpaceJson(s.Name, s.Dimension, MetricName(s.Metric), s.Count, s.IndexGeneration, s.UnsavedChanges))], json));
        });
        return command;
    }

    private static void PrintSpaces(SpaceJson[] spaces, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(spaces, VectorJson.Default.SpaceJsonArray));
            return;
        }

        foreach (var s in spaces)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Name}\t{s.Dimension}\t{s.Metric}\t{s.Count}"));
        }
    }

    private static Command Space()
    {
        var name = new Argument<string>("name");
        var dimension = new Argument<int>("dimension") { Description = "1 to 4096 components." };
        var metric = new Argument<string>("metric") { Description = "l2, cosine or ip." };
        var createMount = MountPath();
        var create = new Command("create", "Create a vector space (on a mount: as root or the owner of its root directory).") { name, dimension, metric, createMount };
        create.SetAction(parsed =>
        {
            var (spaceName, dimensions, measure) = (parsed.GetValue(name)!, parsed.GetValue(dimension), ParseMetric(parsed.GetValue(metric)!));
            return OnMountPath(parsed, parsed.GetValue(createMount), () => MountedVectors.CreateSpace(parsed.GetValue(createMount)!, spaceName, dimensions, measure))
                ?? ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
                {
                    fs.CreateVectorSpace(spaceName, dimensions, measure);
                    fs.Flush();
                });
        });
        var dropName = new Argument<string>("name");
        var dropMount = MountPath();
        var drop = new Command("drop", "Drop a vector space and every vector in it (on a mount: as root or the owner of its root directory).") { dropName, dropMount };
        drop.SetAction(parsed =>
            OnMountPath(parsed, parsed.GetValue(dropMount), () => MountedVectors.DropSpace(parsed.GetValue(dropMount)!, parsed.GetValue(dropName)!))
            ?? ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
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
        var from = new Option<string?>("--from") { Description = "Take the vector from a .fvecs or .npy file instead." };
        var row = new Option<int>("--row") { Description = "Which vector of --from (0 is the first).", DefaultValueFactory = _ => 0 };
        var set = new Command("set", "Set a file's vector, replacing any.") { setPath, values, space, from, row };
        set.SetAction(parsed =>
        {
            var vector = parsed.GetValue(from) is { } file ? VectorFile.Open(file).Row(parsed.GetValue(row)) : ParseVector(parsed.GetValue(values));
            return OnMount(parsed, parsed.GetValue(setPath)!, () => MountedVectors.Set(parsed.GetValue(setPath)!, parsed.GetValue(space)!, vector))
                ?? ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
                {
                    fs.SetVector(parsed.GetValue(setPath)!, parsed.GetValue(space)!, vector);
                    fs.Flush();
                });
        });
        var getPath = new Argument<string>("path");
        var get = new Command("get", "Print a file's vector (as stored: unit length under cosine).") { getPath, space, Json };
        get.SetAction(parsed =>
        {
            void Print(float[] vector) =>
                Console.WriteLine(parsed.GetValue(Json) ? JsonSerializer.Serialize(vector, VectorJson.Default.SingleArray) : string.Join(',', vector.Select(c => c.ToString("R", CultureInfo.InvariantCulture))));
            return OnMount(parsed, parsed.GetValue(getPath)!, () => Print(MountedVectors.Get(parsed.GetValue(getPath)!, parsed.GetValue(space)!)))
                ?? ImageCommands.WithFileSystem(parsed, readOnly: true, fs => Print(fs.GetVector(parsed.GetValue(getPath)!, parsed.GetValue(space)!)
                    ?? throw new KeyNotFoundException($"'{parsed.GetValue(getPath)}' has no vector in '{parsed.GetValue(space)}'.")));
        });
        var removePath = new Argument<string>("path");
        var remove = new Command("rm", "Remove a file's vector.") { removePath, space };
        remove.SetAction(parsed => OnMount(parsed, parsed.GetValue(removePath)!, () => MountedVectors.Remove(parsed.GetValue(removePath)!, parsed.GetValue(space)!))
            ?? ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
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
        var from = new Option<string?>("--from") { Description = "Take the query from a .fvecs or .npy file." };
        var row = new Option<int>("--row") { Description = "Which vector of --from.", DefaultValueFactory = _ => 0 };
        var text = new Option<string?>("--text") { Description = "The query: words, embedded with the sentence model that vexctl index uses." };
        var flat = new Option<bool>("--flat") { Description = "Only the files the directory itself names." };
        var exact = new Option<bool>("--exact") { Description = "Compare with every vector in scope (brute force)." };
        var effort = new Option<int?>("--ef") { Description = "The graph search's candidate list (effort)." };
        var command = new Command("search", "Find the files whose vectors are nearest to a query.") { directory, space, topK, vector, from, row, text, flat, exact, effort, Json };
        command.SetAction(parsed =>
        {
            var options = new VexSearchOptions { Subtree = !parsed.GetValue(flat), Exact = parsed.GetValue(exact), Effort = parsed.GetValue(effort) };
            float[] QueryOf(VexFileSystem? fs) => Query(fs, parsed.GetValue(space)!, parsed.GetValue(vector), parsed.GetValue(from), parsed.GetValue(row), parsed.GetValue(text));
            string at = parsed.GetValue(directory)!;
            return OnMount(parsed, at, () => Print(MountedVectors.Search(at, parsed.GetValue(space)!, QueryOf(null), parsed.GetValue(topK), options)))
                ?? ImageCommands.WithFileSystem(parsed, readOnly: true, fs => Print(fs.Search(at, parsed.GetValue(space)!, QueryOf(fs), parsed.GetValue(topK), options)));

            void Print(IReadOnlyList<VexSearchHit> hits)
            {
                if (parsed.GetValue(Json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(hits.Select(h => new HitJson(h.Path, h.Inode, h.Distance)).ToArray(), VectorJson.Default.HitJsonArray));
                    return;
                }

                foreach (var hit in hits)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{hit.Distance,12:G6}  {hit.Path}"));
                }
            }
        });
        return command;
    }

    /// <summary>
    /// Runs <paramref name="mounted"/> when no --device is given and <paramref name="path"/> is on a mounted VexFS
    /// (the device is then its host's), and returns its exit code; null otherwise, for the image.
    /// </summary>
    private static int? OnMount(ParseResult parsed, string path, Action mounted)
    {
        if (parsed.GetValue(ImageCommands.DeviceOption) is not null || !MountedVectors.IsMounted(path))
        {
            return null;
        }

        mounted();
        return CommandRunner.Ok;
    }

    /// <summary>
    /// Runs <paramref name="mounted"/> when <paramref name="path"/>, given instead of --device, is on a mounted VexFS;
    /// null when there is no path (the image of --device is worked on).
    /// </summary>
    /// <exception cref="ArgumentException">Both a path and --device, or a path that is not on a mounted VexFS.</exception>
    private static int? OnMountPath(ParseResult parsed, string? path, Action mounted)
    {
        if (path is null)
        {
            return null;
        }

        if (parsed.GetValue(ImageCommands.DeviceOption) is not null || !MountedVectors.IsMounted(path))
        {
            throw new ArgumentException($"Give either --device or a path on a mounted VexFS; '{path}' is {(MountedVectors.IsMounted(path) ? "on one, and --device was given too" : "not on one")}.");
        }

        mounted();
        return CommandRunner.Ok;
    }

    /// <summary>
    /// The query of a search: exactly one of its components, a vector file's row, or words to embed (checked
    /// against the space on an image, <paramref name="fs"/>; a mount refuses a query of the wrong dimension).
    /// </summary>
    private static float[] Query(VexFileSystem? fs, string space, string? components, string? file, int row, string? words)
    {
        if ((components is null ? 0 : 1) + (file is null ? 0 : 1) + (words is null ? 0 : 1) != 1)
        {
            throw new ArgumentException("Give the query with one of --vector, --from or --text.");
        }

        if (words is null)
        {
            return file is null ? ParseVector(components) : VectorFile.Open(file).Row(row);
        }

        if (fs is not null)
        {
            IndexCommand.RequireTextSpace(fs, space);
        }

        using var embedder = new TextEmbedder();
        return embedder.Embed(words) ?? throw new ArgumentException("--text has no words to search for.");
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
            throw new ArgumentException("Give the vector's components, comma-separated, or --from FILE (.fvecs or .npy).");
        }

        return [.. text.Split(',').Select(c => float.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new ArgumentException($"'{c}' is not a number."))];
    }
}
