using System.CommandLine;

namespace VexCtl;

/// <summary>Runs a command line and turns failures into one clear line and an exit code.</summary>
internal static class CommandRunner
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"{root.Name}: {error.Message}");
            }

            return Usage;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException or KeyNotFoundException or FormatException)
        {
            Console.Error.WriteLine($"{root.Name}: {e.Message}");
            return Failed;
        }
    }
}
