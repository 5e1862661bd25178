using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace VexFs.Bench.Embed;

/// <summary>
/// English sentences from the documentation a Debian machine carries: manual pages (their roff source with the
/// requests and font escapes taken out) and the text files under /usr/share/doc, gzip-compressed or not (web
/// pages, scripts and style sheets are left out: Python's documentation, for one, ships its text beside its
/// HTML). A sentence has 6 to 60 words and at least half of its characters letters; each distinct sentence
/// counts once.
/// </summary>
internal static partial class SentenceCorpus
{
    private const int MinWords = 6;
    private const int MaxWords = 60;

    /// <summary>Up to <paramref name="count"/> distinct sentences from the files under <paramref name="roots"/> (taken in path order), shuffled with <paramref name="seed"/>.</summary>
    public static List<string> Collect(IEnumerable<string> roots, int count, int seed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sentences = new List<string>();
        foreach (string file in roots.SelectMany(Files).Order(StringComparer.Ordinal))
        {
            foreach (string sentence in Sentences(Text(file), file.Contains("/man/", StringComparison.Ordinal)))
            {
                if (seen.Add(sentence))
                {
                    sentences.Add(sentence);
                }
            }
        }

        var random = new Random(seed);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sentences));
        return sentences.Count > count ? sentences[..count] : sentences;
    }

    private static IEnumerable<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => (!f.Contains("/man/", StringComparison.Ordinal) || ManSection().IsMatch(f)) && !Markup().IsMatch(f));

    private static string Text(string file)
    {
        try
        {
            using Stream raw = File.OpenRead(file);
            using Stream stream = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[4 << 20];
            int read = reader.ReadBlock(buffer, 0, buffer.Length);
            var text = new string(buffer, 0, read);
            return text.Contains('\0', StringComparison.Ordinal) ? string.Empty : text;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static IEnumerable<string> Sentences(string text, bool roff)
    {
        if (roff)
        {
            text = string.Join(' ', text.Split('\n').Where(line => !line.StartsWith('.') && !line.StartsWith('\'')));
            text = RoffEscape().Replace(text, string.Empty);
        }

        foreach (string piece in SentenceEnd().Split(Spaces().Replace(text, " ")))
        {
            string sentence = piece.Trim();
            int words = sentence.Count(c => c == ' ') + 1;
            if (words is >= MinWords and <= MaxWords && sentence.Count(char.IsLetter) * 2 >= sentence.Length)
            {
                yield return sentence;
            }
        }
    }

    [GeneratedRegex(@"\.(html?|js|css|svg|xml|json)(\.gz)?$")]
    private static partial Regex Markup();

    [GeneratedRegex(@"/man/man[1-8]/")]
    private static partial Regex ManSection();

    [GeneratedRegex(@"\\(f[BIRP]|f\(..|\(..|\*\(..|\*.|s[-+]?\d|&|-|e|c)")]
    private static partial Regex RoffEscape();

    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
