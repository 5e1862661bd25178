using System.CommandLine;
using System.Globalization;
using System.Text;
using VexFs.Core;

namespace VexCtl;

/// <summary>Extended attributes, permissions and owners on an unmounted image: getfattr, setfattr, chmod, chown.</summary>
internal static class AttributeCommands
{
    public static IEnumerable<Command> All() => [GetAttributes(), SetAttribute(), ChangeMode(), ChangeOwner()];

    private static Command GetAttributes()
    {
        var path = new Argument<string>("path");
        var name = new Option<string?>("-n") { Description = "Show only this attribute." };
        var command = new Command("getfattr", "Show extended attributes (text values quoted, others in hex).") { path, name };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: true, fs =>
        {
            string target = parsed.GetValue(path)!;
            var names = parsed.GetValue(name) is { } one ? [one] : fs.ListXattrs(target);
            foreach (string attribute in names)
            {
                Console.WriteLine($"{attribute}={Show(fs.GetXattr(target, attribute))}");
            }
        }));
        return command;
    }

    private static Command SetAttribute()
    {
        var path = new Argument<string>("path");
        var name = new Option<string?>("-n") { Description = "The attribute to set." };
        var value = new Option<string>("-v") { Description = "Its value: text, or hex after 0x.", DefaultValueFactory = _ => string.Empty };
        var remove = new Option<string?>("-x") { Description = "The attribute to remove." };
        var command = new Command("setfattr", "Set (-n, -v) or remove (-x) an extended attribute.") { path, name, value, remove };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            string target = parsed.GetValue(path)!;
            switch (parsed.GetValue(name), parsed.GetValue(remove))
            {
                case ({ } set, null):
                    fs.SetXattr(target, set, Parse(parsed.GetValue(value)!));
                    break;
                case (null, { } gone):
                    fs.RemoveXattr(target, gone);
                    break;
                default:
                    throw new ArgumentException("Give either -n NAME [-v VALUE] or -x NAME.");
            }

            fs.Flush();
        }));
        return command;
    }

    private static Command ChangeMode()
    {
        var mode = new Argument<string>("mode") { Description = "Octal permission bits, e.g. 644 or 4755." };
        var path = new Argument<string>("path");
        var command = new Command("chmod", "Change permission bits.") { mode, path };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            fs.SetInfo(parsed.GetValue(path)!, new VexInfoChange { Permissions = ParseMode(parsed.GetValue(mode)!) });
            fs.Flush();
        }));
        return command;
    }

    private static Command ChangeOwner()
    {
        var owner = new Argument<string>("owner") { Description = "UID or UID:GID (numbers)." };
        var path = new Argument<string>("path");
        var command = new Command("chown", "Change owner and group (numeric).") { owner, path };
        command.SetAction(parsed => ImageCommands.WithFileSystem(parsed, readOnly: false, fs =>
        {
            string[] parts = parsed.GetValue(owner)!.Split(':');
            uint? uid = parts[0].Length > 0 ? ParseId(parts[0]) : null;
            uint? gid = parts.Length > 1 && parts[1].Length > 0 ? ParseId(parts[1]) : null;
            if (parts.Length > 2 || (uid is null && gid is null))
            {
                throw new ArgumentException($"'{parsed.GetValue(owner)}' is not UID, UID:GID or :GID.");
            }

            fs.SetInfo(parsed.GetValue(path)!, new VexInfoChange { Uid = uid, Gid = gid });
            fs.Flush();
        }));
        return command;
    }

    /// <summary>Octal permission bits, e.g. 644 or 4755.</summary>
    internal static int ParseMode(string text) => text.Length is > 0 and <= 4 && text.All(c => c is >= '0' and <= '7')
        ? Convert.ToInt32(text, 8)
        : throw new ArgumentException($"'{text}' is not an octal mode (1 to 4 digits 0-7).");

    private static uint ParseId(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) ? id : throw new ArgumentException($"'{text}' is not a numeric id.");

    private static byte[] Parse(string value) => value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        ? Convert.FromHexString(value[2..])
        : Encoding.UTF8.GetBytes(value);

    private static string Show(byte[] value)
    {
        string text = Encoding.UTF8.GetString(value);
        bool printable = Encoding.UTF8.GetByteCount(text) == value.Length && text.All(c => !char.IsControl(c));
        return printable ? $"\"{text}\"" : "0x" + Convert.ToHexString(value).ToLowerInvariant();
    }
}
