using System.Diagnostics;
using System.Globalization;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Format;
using VexFs.Soak;

// usage: VexFs.Soak [minutes=60] [seed] [faults=eio,enospc]; prints the totals, exits 1 when anything failed.
double minutes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 60;
int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.TickCount & int.MaxValue;
bool diskFull = args.Length <= 2 || args[2].Split(',').Contains("enospc");
Console.WriteLine($"soak: {minutes} minutes, seed {seed}, injecting EIO{(diskFull ? " and ENOSPC" : string.Empty)}");
var random = new Random(seed);
var totals = new SoakTotals();
var clock = Stopwatch.StartNew();
var deadline = TimeSpan.FromMinutes(minutes);
int rounds = 0;
var lastReport = TimeSpan.Zero;
while (clock.Elapsed < deadline)
{
    // A new filesystem now and then, so that a damaged one does not carry its damage through the whole run.
    var image = new MemoryBlockDevice(16L << 20);
    VexFileSystem.Format(image, new FormatOptions { BlockSize = 1024, JournalSize = 256 << 10 }, leaveOpen: true).Dispose();
    IReadOnlyDictionary<string, byte[]> durable = new Dictionary<string, byte[]>();
    for (int round = 0; round < 50 && clock.Elapsed < deadline; round++, rounds++)
    {
        int failures = totals.Failures.Count;
        var soak = new SoakRound(random, totals, $"seed {seed} round {rounds}", diskFull);
        image = soak.Run(image, durable);
        durable = soak.Survivors;
        foreach (string failure in totals.Failures.Skip(failures))
        {
            Console.WriteLine($"FAILURE {failure}");
        }

        if (totals.Failures.Count > failures)
        {
            break;
        }
    }

    if (clock.Elapsed - lastReport > TimeSpan.FromMinutes(1))
    {
        lastReport = clock.Elapsed;
        Console.WriteLine($"{clock.Elapsed:hh\\:mm\\:ss} rounds {rounds}: {totals}");
    }
}

Console.WriteLine($"soak totals after {clock.Elapsed:hh\\:mm\\:ss}, {rounds} rounds: {totals}");
return totals.Failures.Count == 0 ? 0 : 1;
