namespace VexFs.Format;

/// <summary>Throws <see cref="InvalidFileSystemException"/> for a field that fails validation.</summary>
internal static class Corruption
{
    public static InvalidFileSystemException At(long block, string field, string problem) => new(block, field, problem);

    public static void Check(bool valid, long block, string field, string problem)
    {
        if (!valid)
        {
            throw new InvalidFileSystemException(block, field, problem);
        }
    }

    public static void CheckMagic(uint actual, uint expected, long block, string record)
    {
        if (actual != expected)
        {
            throw new InvalidFileSystemException(block, $"{record}.magic", $"0x{actual:X8} is not the {record} magic 0x{expected:X8}");
        }
    }

    public static void CheckChecksum(uint stored, uint computed, long block, string record)
    {
        if (stored != computed)
        {
            throw new InvalidFileSystemException(block, $"{record}.checksum", $"stored 0x{stored:X8}, computed 0x{computed:X8}");
        }
    }
}
