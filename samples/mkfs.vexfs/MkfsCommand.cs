using System.CommandLine;
using System.Globalization;
using VexFs.BlockDevices;
using VexFs.BlockDevices.Nbd;
using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.VectorArea;
using VexFs.Samples;

namespace MkfsVexfs;

/// <summary>
/// mkfs.vexfs, in the manner of mke2fs: options, refusal of mounted devices and of existing filesystems
/// without -F, and exit status 0 on success, 1 on any failure.
/// </summary>
internal static class MkfsCommand
{
    private const int Success = 0;
    private const int Failure = 1;

    public static int Run(string[] args)
    {
        var device = new Argument<string>("device") { Description = "The block device or image file to format." };
        var size = new Argument<string?>("fs-size") { Description = "Create the image file with this size if it does not exist (e.g. 512M).", Arity = ArgumentArity.ZeroOrOne };
        var blockSize = new Option<int>("-b") { Description = "Block size in bytes (1024 to 65536).", DefaultValueFactory = _ => FormatOptions.Default.BlockSize };
        var label = new Option<string?>("-L") { Description = "Volume label (at most 64 bytes)." };
        var uuid = new Option<string?>("-U") { Description = "UUID, or 'random', or 'time'." };
        var inodes = new Option<long?>("-N") { Description = "Number of inodes." };
        var bytesPerInode = new Option<int?>("-i") { Description = "Bytes per inode." };
        var inodeSize = new Option<int>("-I") { Description = "Inode size in bytes.", DefaultValueFactory = _ => FormatOptions.Default.InodeSize };
        var journal = new Option<string?>("-J") { Description = "Journal options: size=SIZE (e.g. size=64M)." };
        var extended = new Option<string?>("-E") { Description = "Extended options, comma-separated: discard, nodiscard, mmp_update_interval=SECONDS (1 to 300; 5 by default)." };
        var features = new Option<string?>("-O") { Description = "Features, comma-separated: mmp (multi-mount protection, for a device several hosts can reach)." };
        var vectors = new Option<string[]>("-V") { Description = "Declare a vector space name:dimension[:metric[:type]] (metric l2, cosine or ip; type f32, the only element type stored); repeatable.", AllowMultipleArgumentsPerToken = false };
        var dryRun = new Option<bool>("-n") { Description = "Print the layout without writing anything." };
        var force = new Option<bool>("-F") { Description = "Format even when the device holds a filesystem." };
        var quiet = new Option<bool>("-q") { Description = "Print nothing but errors." };
        var populate = new Option<string?>("-d") { Description = "Copy this directory tree into the new filesystem (files, directories, symbolic and hard links, device files, pipes and sockets, permissions, owners, times, extended attributes)." };
        var root = new RootCommand("mkfs.vexfs: make a VexFS filesystem on a block device or image file.")
        {
            device, size, blockSize, label, uuid, inodes, bytesPerInode, inodeSize, journal, extended, features, vectors, dryRun, force, quiet, populate,
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.Action is not null)
        {
            // --help or --version: the parser's own action prints it.
            return parsed.Invoke();
        }

        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"mkfs.vexfs: {parsed.Errors[0].Message}");
            return Failure;
        }

        try
        {
            var (discard, mmpInterval) = ParseExtended(parsed.GetValue(extended));
            bool mmp = ParseFeatures(parsed.GetValue(features));
            if (mmpInterval is not null && !mmp)
            {
                throw new FormatException("mmp_update_interval is set but multi-mount protection is not enabled (-O mmp)");
            }

            var options = new FormatOptions
            {
                BlockSize = parsed.GetValue(blockSize),
                Label = parsed.GetValue(label) ?? string.Empty,
                Uuid = ParseUuid(parsed.GetValue(uuid)),
                InodeCount = parsed.GetValue(inodes),
                BytesPerInode = parsed.GetValue(bytesPerInode) ?? FormatOptions.Default.BytesPerInode,
                InodeSize = parsed.GetValue(inodeSize),
                JournalSize = ParseJournal(parsed.GetValue(journal)),
                Discard = discard,
                MultiMountProtection = mmp,
                MmpUpdateInterval = mmpInterval ?? FormatOptions.Default.MmpUpdateInterval,
                VectorSpaces = (parsed.GetValue(vectors) ?? []).Select(ParseSpace).ToList(),
            };
            if (options.Problem() is { } problem)
            {
                throw new ArgumentException($"invalid option: {problem}");
            }

            return Format(parsed.GetValue(device)!, parsed.GetValue(size), options, parsed.GetValue(dryRun), parsed.GetValue(force), parsed.GetValue(quiet), parsed.GetValue(populate));
        }
        catch (Exception e) when (e is IOException or ArgumentException or FormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"mkfs.vexfs: {e.Message}");
            return Failure;
        }
    }

    private static int Format(string path, string? size, FormatOptions options, bool dryRun, bool force, bool quiet, string? populate)
    {
        if (populate is not null && !Directory.Exists(populate))
        {
            throw new IOException($"the directory {populate} given to -d does not exist");
        }

        if (File.Exists(path) || Directory.Exists(path) || NbdEndpoint.IsNbdUri(path))
        {
            return FormatDevice(path, options, dryRun, force, quiet, populate);
        }

        if (size is null)
        {
            throw new IOException($"the file {path} does not exist and no size was specified");
        }

        if (dryRun)
        {
            Print(quiet, FormatLayout.Plan(Size.Parse(size), 512, options).Describe());
            return Success;
        }

        long length = Size.Parse(size) / options.BlockSize * options.BlockSize;
        ImageFileDevice.Create(path, length).Dispose();
        try
        {
            return FormatDevice(path, options, dryRun, force, quiet, populate);
        }
        catch
        {
            // An image this run created is of no use half made.
            File.Delete(path);
            throw;
        }
    }

    private static int FormatDevice(string path, FormatOptions options, bool dryRun, bool force, bool quiet, string? populate)
    {
        using var device = BlockDevice.Open(path, readOnly: dryRun);
        if (device.Length % options.BlockSize != 0 && !quiet)
        {
            Console.Error.WriteLine($"mkfs.vexfs: warning: {path} is {device.Length} bytes, not a multiple of the {options.BlockSize}-byte block size; the last {device.Length % options.BlockSize} bytes stay unused");
        }

        var layout = FormatLayout.Plan(device.Length, device.SectorSize, options);
        if (dryRun)
        {
            Print(quiet, layout.Describe());
            return Success;
        }

        if (Signatures.Detect(device) is { } existing && !force)
        {
            if (Console.IsInputRedirected || Console.IsOutputRedirected)
            {
                throw new IOException($"{path} already holds a filesystem of type {existing}; use -F to overwrite it");
            }

            Console.Write($"{path} already holds a filesystem of type {existing}. Proceed anyway? (y,N) ");
            if (!string.Equals(Console.ReadLine()?.Trim(), "y", StringComparison.OrdinalIgnoreCase))
            {
                return Failure;
            }
        }

        var progress = quiet || Console.IsOutputRedirected ? null : new Progress<FormatProgress>(p =>
            Console.Write(string.Create(CultureInfo.InvariantCulture, $"\r{p.Stage}: {p.Done}/{p.Total}   ")));
        layout = Formatter.Format(device, options, progress);
        if (progress is not null)
        {
            Console.WriteLine();
        }

        Print(quiet, $"Creating VexFS filesystem on {path}");
        Print(quiet, layout.Describe());
        if (populate is not null)
        {
            var copied = DirectoryImporter.Import(device, populate);
            Print(quiet, $"Copying files into the filesystem from {populate}: {copied.Files} files, {copied.Directories} directories, {copied.SymbolicLinks} symbolic links, {copied.HardLinks} hard links, {copied.SpecialFiles} device files, pipes and sockets");
        }

        Print(quiet, "Writing superblocks and filesystem accounting information: done");
        return Success;
    }

    private static void Print(bool quiet, string text)
    {
        if (!quiet)
        {
            Console.WriteLine(text);
        }
    }

    private static Guid? ParseUuid(string? text) => text switch
    {
        null or "random" => null,
        "time" => Guid.CreateVersion7(),
        _ => Guid.TryParse(text, out var uuid) ? uuid : throw new FormatException($"invalid UUID '{text}'"),
    };

    private static long? ParseJournal(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return text.StartsWith("size=", StringComparison.Ordinal)
            ? Size.Parse(text["size=".Length..])
            : throw new FormatException($"invalid journal option '{text}' (expected size=SIZE)");
    }

    /// <summary>-E as mke2fs takes it: options separated by commas.</summary>
    private static (bool Discard, int? MmpInterval) ParseExtended(string? text)
    {
        bool discard = true;
        int? interval = null;
        foreach (string option in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            const string IntervalPrefix = "mmp_update_interval=";
            if (option is "discard" or "nodiscard")
            {
                discard = option == "discard";
            }
            else if (option.StartsWith(IntervalPrefix, StringComparison.Ordinal)
                && int.TryParse(option.AsSpan(IntervalPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
            {
                interval = seconds;
            }
            else
            {
                throw new FormatException($"invalid extended option '{option}' (expected discard, nodiscard or mmp_update_interval=SECONDS)");
            }
        }

        return (discard, interval);
    }

    /// <summary>-O as mke2fs takes it: features separated by commas, ^ before one to leave it off.</summary>
    private static bool ParseFeatures(string? text)
    {
        bool mmp = false;
        foreach (string feature in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            mmp = feature switch
            {
                "mmp" => true,
                "^mmp" => false,
                _ => throw new FormatException($"invalid feature '{feature}' (the one this mkfs can choose is mmp)"),
            };
        }

        return mmp;
    }

    private static VectorSpaceDefinition ParseSpace(string text) => VectorSpaceDefinition.Parse(text);
}
