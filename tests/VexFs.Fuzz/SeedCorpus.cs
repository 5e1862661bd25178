namespace VexFs.Fuzz;

/// <summary>Writes each target's seeds, cut from the sample images our own mkfs makes, into DIRECTORY/TARGET/.</summary>
internal static class SeedCorpus
{
    private const int MaxSeeds = 16;

    public static void Write(string directory)
    {
        foreach (var target in FuzzTargets.All)
        {
            string folder = Path.Combine(directory, target.Name);
            Directory.CreateDirectory(folder);
            int n = 0;
            foreach (byte[] seed in target.Seeds().Take(MaxSeeds))
            {
                File.WriteAllBytes(Path.Combine(folder, $"seed-{n++:D2}"), seed);
            }

            Console.WriteLine($"{target.Name}: {n} seeds");
        }
    }
}
