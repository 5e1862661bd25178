using VexFs.Bench.Devices;

return args.FirstOrDefault() switch
{
    "devices" => DevicesCommand.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: VexFs.Bench devices --image FILE [--raw /dev/loopN] [--seconds 3]");
    return 2;
}
