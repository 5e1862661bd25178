using System.Globalization;

namespace VexCtl;

/// <summary>Sizes as people write them: 4096, 64K, 256M, 2G, 1T (binary units).</summary>
internal static class Size
{
    public static long Parse(string text)
    {
        string t = text.Trim();
        if (t.Length == 0)
        {
            throw new ArgumentException("A size cannot be empty.");
        }

        int shift = char.ToUpperInvariant(t[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            'P' => 50,
            _ => 0,
        };
        string digits = shift == 0 ? t : t[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > (long.MaxValue >> shift))
        {
            throw new ArgumentException($"'{text}' is not a size (examples: 4096, 64K, 256M, 2G).");
        }

        return value << shift;
    }

    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }
}
