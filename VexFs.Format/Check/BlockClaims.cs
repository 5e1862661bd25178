namespace VexFs.Format.Check;

/// <summary>
/// Which blocks something claims, one bit per block, held per group and allocated only for groups that
/// have claims, so that checking a large, mostly empty filesystem stays small.
/// </summary>
internal sealed class BlockClaims(long blockCount, int blocksPerGroup)
{
    private readonly Dictionary<int, byte[]> _groups = [];

    public long Count { get; private set; }

    /// <summary>Claims a block; returns false when it was claimed already (a cross-link) or lies outside.</summary>
    public bool Claim(long block)
    {
        if (block < 0 || block >= blockCount)
        {
            return false;
        }

        var bits = Bits((int)(block / blocksPerGroup));
        int index = (int)(block % blocksPerGroup);
        byte mask = (byte)(1 << (index & 7));
        if ((bits[index >> 3] & mask) != 0)
        {
            return false;
        }

        bits[index >> 3] |= mask;
        Count++;
        return true;
    }

    public void Release(long block)
    {
        if (block >= 0 && block < blockCount && _groups.TryGetValue((int)(block / blocksPerGroup), out var bits))
        {
            int index = (int)(block % blocksPerGroup);
            byte mask = (byte)(1 << (index & 7));
            if ((bits[index >> 3] & mask) != 0)
            {
                bits[index >> 3] &= (byte)~mask;
                Count--;
            }
        }
    }

    public bool IsClaimed(long block)
    {
        if (block < 0 || block >= blockCount || !_groups.TryGetValue((int)(block / blocksPerGroup), out var bits))
        {
            return false;
        }

        int index = (int)(block % blocksPerGroup);
        return (bits[index >> 3] & (1 << (index & 7))) != 0;
    }

    /// <summary>The claims of one group as a bitmap block, with bits past the group's end set.</summary>
    public void GroupBitmap(int group, int blocksInGroup, Span<byte> bitmap)
    {
        bitmap.Clear();
        if (_groups.TryGetValue(group, out var bits))
        {
            bits.CopyTo(bitmap);
        }

        for (int i = blocksInGroup; i < bitmap.Length * 8; i++)
        {
            bitmap[i >> 3] |= (byte)(1 << (i & 7));
        }
    }

    private byte[] Bits(int group)
    {
        if (!_groups.TryGetValue(group, out var bits))
        {
            bits = new byte[(blocksPerGroup + 7) / 8];
            _groups.Add(group, bits);
        }

        return bits;
    }
}
