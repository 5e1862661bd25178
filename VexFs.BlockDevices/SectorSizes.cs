namespace VexFs.BlockDevices;

/// <summary>The sector sizes a device may have: powers of two from 512 to 65,536 bytes.</summary>
internal static class SectorSizes
{
    public const int Min = 512;
    public const int Max = 65536;

    public static bool IsValid(long size) => size is >= Min and <= Max && (size & (size - 1)) == 0;

    public static int Validate(int size, string paramName)
    {
        if (!IsValid(size))
        {
            throw new ArgumentOutOfRangeException(paramName, size, $"A sector size must be a power of two from {Min} to {Max} bytes; {size} is not.");
        }

        return size;
    }

    public static long ValidateLength(long length, int sectorSize, string paramName)
    {
        if (length < 0 || length % sectorSize != 0)
        {
            throw new ArgumentOutOfRangeException(paramName, length, $"A device length must be a non-negative multiple of its {sectorSize}-byte sector size; {length} is not.");
        }

        return length;
    }
}
