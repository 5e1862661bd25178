using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using VexFs.Core;
using VexFs.Format.Records;
using VexFs.Vectors;

namespace VexCtl;

/// <summary>
/// <c>vexctl import</c>: the bulk load of a vector file onto a list of files. The whole input is checked before
/// anything is written; the vectors then go in batches, each batch one atomic operation.
/// </summary>
internal static class ImportCommand
{
    private const int BatchSize = 1024;

    public static Command Create()
    {
        var space = new Option<string>("--space", "-s") { Description = "The vector space.", Required = true };
        var vectors = new Argument<string>("vectors") { Description = "A .fvecs file, or a .npy file of a 2-D float32 array in C order (one vector a row)." };
        var paths = new Argument<string>("paths") { Description = "A text file naming one file of the filesystem a line: row i of VECTORS goes to line i." };
        var create = new Option<bool>("--create") { Description = "Create missing files (empty) and their directories instead of refusing." };
        var command = new Command(
            "import",
            $"Set many files' vectors at once. Everything is checked first (counts, dimension, NaN or infinite components, zero vectors under cosine, missing files); "
            + $"a failure while writing keeps the batches of {BatchSize} files already done.")
        {
            vectors, paths, space, create,
        };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            var watch = Stopwatch.StartNew();
            string spaceName = parsed.GetValue(space)!;
            var file = VectorFile.Open(parsed.GetValue(vectors)!);
            string[] targets = ReadPaths(parsed.GetValue(paths)!);
            if (file.Count != targets.Length)
            {
                throw new ArgumentException($"'{file.Path}' holds {file.Count} vectors but '{parsed.GetValue(paths)}' names {targets.Length} paths; they must match, row for line.");
            }

            var info = VectorCommands.FindSpace(fs, spaceName);
            if (info.Dimension != file.Dimension)
            {
                throw new ArgumentException($"'{file.Path}' holds {file.Dimension}-component vectors; space '{spaceName}' takes {info.Dimension}.");
            }

            Check(file, targets, new VectorSpace(info.Dimension, info.Metric));
            CheckTargets(fs, targets, parsed.GetValue(create));
            using (var progress = new ProgressBar("import", targets.Length))
            {
                fs.SetVectors(spaceName, targets.Zip(file.Rows()), progress, BatchSize);
            }

            fs.Flush();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{targets.Length} vectors in {spaceName} in {watch.Elapsed.TotalSeconds:0.0} s"));
        }));
        return command;
    }

    /// <summary>The paths, one a line, made absolute; an empty line is refused rather than skipped (it would shift every row after it).</summary>
    private static string[] ReadPaths(string listing)
    {
        var lines = File.ReadAllLines(listing);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                throw new FormatException($"'{listing}' line {i + 1} is empty: each line names the file of the vector in the same row.");
            }

            lines[i] = lines[i].StartsWith('/') ? lines[i] : "/" + lines[i];
        }

        return lines;
    }

    /// <summary>Reads every vector once, as the space would check it, so that a bad one is found before anything is written.</summary>
    private static void Check(VectorFile file, string[] targets, VectorSpace shape)
    {
        long row = 0;
        foreach (var vector in file.Rows())
        {
            try
            {
                shape.ToStored(vector);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"'{file.Path}' row {row} (for {targets[row]}): {e.Message}", e);
            }

            row++;
        }
    }

    /// <summary>Every target must be a regular file; missing ones are refused, or with <paramref name="create"/> made empty.</summary>
    private static void CheckTargets(VexFileSystem fs, string[] targets, bool create)
    {
        var missing = new List<string>();
        foreach (string target in targets)
        {
            if (!fs.Exists(target))
            {
                missing.Add(target);
            }
            else if (fs.GetInfo(target).Type != UnixFileType.RegularFile)
            {
                throw new IOException($"'{target}' is a {fs.GetInfo(target).Type}: only regular files carry vectors.");
            }
        }

        if (missing.Count > 0 && !create)
        {
            throw new FileNotFoundException($"{missing.Count} of the paths do not exist, the first '{missing[0]}' (give --create to create them empty).");
        }

        foreach (string target in missing.Distinct(StringComparer.Ordinal))
        {
            int slash = target.LastIndexOf('/');
            if (slash > 0)
            {
                fs.CreateDirectory(target[..slash]);
            }

            fs.OpenFile(target, FileMode.CreateNew).Dispose();
        }
    }
}
