using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using VexFs.Core;
using VexFs.Format.Records;
using VexFs.Vectors;

namespace VexCtl;

/// <summary><c>vexctl index</c>: embeds the text files of a directory tree with the local sentence model and sets their vectors.</summary>
internal static class IndexCommand
{
    private const int BatchSize = 64;

    public static Command Create()
    {
        var directory = new Argument<string>("directory") { Description = "Index every regular file in it and below it." };
        var space = new Option<string>("--space", "-s") { Description = $"The vector space ({TextEmbedder.Dimension} components).", Required = true };
        var createSpace = new Option<bool>("--create-space") { Description = $"Create the space ({TextEmbedder.Dimension}-d, cosine) when it does not exist." };
        var command = new Command(
            "index",
            $"Embed every text file under DIRECTORY with the local all-MiniLM-L6-v2 sentence model ({TextEmbedder.Dimension}-d, nothing downloaded) and set it as the file's vector. "
            + $"A long file is cut into chunks of whole words of at most {TextEmbedder.MaxWordPieces} word pieces (the model's window); the chunks' embeddings are averaged, "
            + $"weighted by their word pieces, and normalized. Only the first {TextEmbedder.MaxChunks} chunks and {TextEmbedder.MaxFileBytes >> 20} MiB of a file count. "
            + "Binary files (NUL bytes or invalid UTF-8) and files without words are skipped and counted.")
        {
            directory, space, createSpace,
        };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            var watch = Stopwatch.StartNew();
            string top = parsed.GetValue(directory)!;
            string spaceName = parsed.GetValue(space)!;
            if (parsed.GetValue(createSpace) && !fs.GetVectorSpaces().Any(s => s.Name == spaceName))
            {
                fs.CreateVectorSpace(spaceName, TextEmbedder.Dimension, VectorMetric.Cosine);
            }

            RequireTextSpace(fs, spaceName);
            var files = new List<string>();
            Collect(fs, top, files);
            var skipped = new Skipped();
            using (var embedder = new TextEmbedder())
            using (var progress = new ProgressBar("index", files.Count))
            {
                fs.SetVectors(spaceName, Embedded(fs, embedder, files, skipped, progress), batchSize: BatchSize);
            }

            fs.Flush();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"indexed {files.Count - skipped.Binary - skipped.Empty} files in {spaceName} under {top} in {watch.Elapsed.TotalSeconds:0.0} s; skipped {skipped.Binary} binary and {skipped.Empty} without words"));
        }));
        return command;
    }

    /// <summary>The space must take the model's embeddings; the error says so rather than naming a wrong dimension later.</summary>
    internal static void RequireTextSpace(VexFileSystem fs, string spaceName)
    {
        var info = VectorCommands.FindSpace(fs, spaceName);
        if (info.Dimension != TextEmbedder.Dimension)
        {
            throw new ArgumentException($"Space '{spaceName}' holds {info.Dimension}-component vectors; the text model gives {TextEmbedder.Dimension}.");
        }
    }

    private static void Collect(VexFileSystem fs, string directory, List<string> files)
    {
        foreach (var entry in fs.EnumerateEntries(directory).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            string path = directory.TrimEnd('/') + "/" + entry.Name;
            if (entry.Type == UnixFileType.Directory)
            {
                Collect(fs, path, files);
            }
            else if (entry.Type == UnixFileType.RegularFile)
            {
                files.Add(path);
            }
        }
    }

    private static IEnumerable<(string Path, float[] Vector)> Embedded(VexFileSystem fs, TextEmbedder embedder, List<string> files, Skipped skipped, ProgressBar progress)
    {
        for (int i = 0; i < files.Count; i++)
        {
            string? text = Read(fs, files[i]);
            float[]? vector = text is null ? null : embedder.Embed(text);
            progress.Report(i + 1);
            if (vector is not null)
            {
                yield return (files[i], vector);
            }
            else if (text is null)
            {
                skipped.Binary++;
            }
            else
            {
                skipped.Empty++;
            }
        }
    }

    private static string? Read(VexFileSystem fs, string path)
    {
        using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
        var bytes = new byte[(int)Math.Min(stream.Length, TextEmbedder.MaxFileBytes)];
        stream.ReadExactly(bytes);
        return TextEmbedder.AsText(bytes, cut: stream.Length > bytes.Length);
    }

    private sealed class Skipped
    {
        public int Binary { get; set; }

        public int Empty { get; set; }
    }
}
