using System.Text;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Vectors;

// A journaled filesystem in a 64 MiB image file; its files carry embeddings in a named vector space.
const string image = "quickstart.img";
(string Path, string Text, float[] Embedding)[] notes =
[
    ("/notes/fruit.txt", "apples and pears", [0.9f, 0.1f, 0.0f]),
    ("/notes/cars.txt", "engines and wheels", [0.0f, 0.2f, 0.9f]),
    ("/notes/garden/orchard.txt", "trees that bear fruit", [0.7f, 0.6f, 0.1f]),
];

using (var fs = VexFileSystem.Format(ImageFileDevice.Create(image, 64L << 20, overwrite: true)))
{
    fs.CreateVectorSpace("topics", dimension: 3, VectorMetric.Cosine);
    fs.CreateDirectory("/notes");
    fs.CreateDirectory("/notes/garden");
    foreach (var (path, text, embedding) in notes)
    {
        using (var file = fs.OpenFile(path, FileMode.CreateNew))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
        }

        fs.SetVector(path, "topics", embedding);
    }

    fs.Flush(); // From here on the files and their vectors survive a power cut.
}

// Reopen the image (after a crash the open replays the journal) and search a directory tree by similarity.
using var reopened = VexFileSystem.Open(ImageFileDevice.Open(image));
var hits = reopened.Search("/notes", "topics", [1.0f, 0.3f, 0.0f], k: 2);
foreach (var hit in hits)
{
    using var reader = new StreamReader(reopened.OpenFile(hit.Path, FileMode.Open, FileAccess.Read));
    Console.WriteLine($"{hit.Distance:F3}  {hit.Path}  \"{reader.ReadToEnd()}\"");
}

// The nearest two to "fruit", best first: a sample that finds otherwise fails.
return hits.Select(h => h.Path).SequenceEqual(["/notes/fruit.txt", "/notes/garden/orchard.txt"]) ? 0 : 1;
