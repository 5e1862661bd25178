using System.Globalization;
using VexFs.BlockDevices;
using VexFs.Core;

namespace FsckVexfs;

/// <summary>
/// After a repair that dropped saved vector indexes, builds each again from its space's rows through the
/// library and saves it, so that the repaired filesystem opens without a rebuild.
/// </summary>
internal static class IndexRebuild
{
    /// <summary>Rebuilds and saves the indexes of <paramref name="spaces"/>; returns whether every one was saved.</summary>
    public static bool Run(string path, IReadOnlyList<string> spaces)
    {
        using var fs = VexFileSystem.Open(BlockDevice.Open(path, readOnly: false));
        bool saved = fs.SaveVectorIndexes();
        foreach (var space in fs.GetVectorSpaces().Where(s => spaces.Contains(s.Name)))
        {
            Console.WriteLine(saved
                ? string.Create(CultureInfo.InvariantCulture, $"vectors: space '{space.Name}': search index rebuilt from {space.Count} vectors and saved (generation {space.IndexGeneration})")
                : $"vectors: space '{space.Name}': search index not saved, the filesystem lacks the free blocks for it (each open builds it from the vectors)");
        }

        return saved;
    }
}
