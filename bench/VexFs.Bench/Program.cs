using VexFs.Bench.Ann;
using VexFs.Bench.Devices;
using VexFs.Bench.Embed;
using VexFs.Bench.FileSystem;
using VexFs.Bench.SearchLatency;

return args.FirstOrDefault() switch
{
    "devices" => DevicesCommand.Run(args[1..]),
    "ann" => AnnCommand.Run(args[1..]),
    "fs" => FsCommand.Run(args[1..]),
    "embed" => EmbedCommand.Run(args[1..]),
    "search-latency" => SearchLatencyCommand.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: VexFs.Bench devices --image FILE [--raw /dev/loopN] [--seconds 3]");
    Console.Error.WriteLine($"       VexFs.Bench {FsArguments.Usage}");
    Console.Error.WriteLine("       VexFs.Bench ann DATASET_DIR [--M 16] [--efc 200] [--ef 10,16,32,64,128] [--threads 1] [--build-threads 1] [--k 10] [--out FILE]");
    Console.Error.WriteLine($"       VexFs.Bench {EmbedCommand.Usage}");
    Console.Error.WriteLine($"       VexFs.Bench {SearchLatencyCommand.Usage}");
    return 2;
}
