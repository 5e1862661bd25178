using System.Collections;

namespace VexFs.BlockDevices.CrashSimulation;

/// <summary>The sectors of one write that survive a simulated crash: all of them, or a torn subset.</summary>
internal readonly struct SectorMask
{
    private readonly BitArray? _kept;

    private SectorMask(BitArray? kept) => _kept = kept;

    public static SectorMask All => default;

    public bool IsAll => _kept is null;

    /// <summary>A random proper, non-empty subset of <paramref name="sectors"/> sectors (at least two).</summary>
    public static SectorMask Torn(int sectors, Random random)
    {
        var kept = new BitArray(sectors);
        int count = 0;
        for (int i = 0; i < sectors; i++)
        {
            kept[i] = random.Next(2) == 1;
            count += kept[i] ? 1 : 0;
        }

        // A torn write keeps some sectors and loses others; force one of each.
        if (count == 0)
        {
            kept[random.Next(sectors)] = true;
        }
        else if (count == sectors)
        {
            kept[random.Next(sectors)] = false;
        }

        return new SectorMask(kept);
    }

    public bool Keeps(int sector) => _kept is null || _kept[sector];
}
