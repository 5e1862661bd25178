using SharpFuzz;
using VexFs.Fuzz;

// fuzz TARGET          run TARGET under afl-fuzz (inputs arrive through SharpFuzz)
// replay TARGET FILE.. run inputs in-process and report the first that crashes
// seeds DIRECTORY      write the seed corpus of every target, made by our own mkfs
// list                 print the targets' names
if (args is ["list"])
{
    Console.WriteLine(string.Join('\n', FuzzTargets.All.Select(t => t.Name)));
    return 0;
}

if (args.Length >= 2 && args[0] == "seeds")
{
    SeedCorpus.Write(args[1]);
    return 0;
}

if (args.Length < 2 || FuzzTargets.Find(args[1]) is not { } target)
{
    Console.Error.WriteLine($"usage: VexFs.Fuzz fuzz|replay TARGET [FILE...] | seeds DIRECTORY | list; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 16;
}

if (args[0] == "fuzz")
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Run(copy.ToArray());
    });
    return 0;
}

foreach (string file in args.Skip(2))
{
    Console.WriteLine($"{file}: {(target.Run(File.ReadAllBytes(file)) ? "refused" : "accepted")}");
}

return 0;
