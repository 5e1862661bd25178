namespace VexFs.BlockDevices.Tests.Properties;

/// <summary>
/// The reference a device is compared with: a plain array of sectors, where a discarded sector may read as
/// zeros or as its old contents until it is written again.
/// </summary>
internal sealed class DeviceModel(int sectorSize, int sectors)
{
    private readonly byte[] _data = new byte[sectorSize * sectors];
    private readonly bool[] _mayBeZero = new bool[sectors];

    public int SectorSize => sectorSize;

    public static byte[] DataFor(DeviceOp op, int sectorSize) => Patterns.Random(op.Count * sectorSize, op.Seed);

    public void Write(int sector, ReadOnlySpan<byte> data)
    {
        data.CopyTo(_data.AsSpan(sector * sectorSize));
        _mayBeZero.AsSpan(sector, data.Length / sectorSize).Clear();
    }

    public void Discard(int sector, int count, bool zeroes)
    {
        if (zeroes)
        {
            _data.AsSpan(sector * sectorSize, count * sectorSize).Clear();
        }
        else
        {
            _mayBeZero.AsSpan(sector, count).Fill(true);
        }
    }

    /// <summary>Explains the first sector of <paramref name="actual"/> the model does not allow, or returns null.</summary>
    public string? Mismatch(int sector, ReadOnlySpan<byte> actual)
    {
        for (int s = 0; s < actual.Length / sectorSize; s++)
        {
            var got = actual.Slice(s * sectorSize, sectorSize);
            var want = _data.AsSpan((sector + s) * sectorSize, sectorSize);
            bool zero = !got.ContainsAnyExcept((byte)0);
            if (!got.SequenceEqual(want) && !(_mayBeZero[sector + s] && zero))
            {
                return $"sector {sector + s} differs from the model";
            }
        }

        return null;
    }
}
