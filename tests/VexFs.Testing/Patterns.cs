namespace VexFs.Testing;

/// <summary>Deterministic test data.</summary>
public static class Patterns
{
    public static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Fills <paramref name="buffer"/> with the bytes <see cref="Random"/> gives for <paramref name="seed"/>.</summary>
    public static void Fill(Span<byte> buffer, int seed) => new System.Random(seed).NextBytes(buffer);

    public static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }
}
