namespace VexFs.BlockDevices.CrashSimulation;

/// <summary>
/// Which of the unflushed writes a simulated power cut keeps. Writes that are kept are applied in the order
/// they were issued; a torn write keeps only some of its sectors.
/// </summary>
public abstract record CrashPlan
{
    private protected CrashPlan()
    {
    }

    /// <summary>The first <paramref name="count"/> unflushed writes survive, whole; the rest are lost.</summary>
    public static CrashPlan Prefix(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new PrefixPlan(count);
    }

    /// <summary>Exactly the unflushed writes at the given indexes survive, whole.</summary>
    public static CrashPlan Subset(IEnumerable<int> indexes)
    {
        ArgumentNullException.ThrowIfNull(indexes);
        var set = indexes.ToHashSet();
        if (set.Any(i => i < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(indexes), "A write index cannot be negative.");
        }

        return new SubsetPlan(set);
    }

    /// <summary>
    /// A random outcome, reproducible from <paramref name="seed"/>: each unflushed write survives with
    /// probability <paramref name="keepProbability"/>, and a surviving write of more than one sector is torn
    /// (only a random subset of its sectors survives) with probability <paramref name="tornProbability"/>.
    /// </summary>
    public static CrashPlan Random(int seed, double keepProbability = 0.5, double tornProbability = 0.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keepProbability, 1.0);
        ArgumentOutOfRangeException.ThrowIfNegative(tornProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tornProbability, 1.0);
        return new RandomPlan(seed, keepProbability, tornProbability);
    }

    /// <summary>Decides, write by write, what survives; the result lists the sectors kept of each write.</summary>
    internal abstract IEnumerable<(int Index, SectorMask Kept)> Choose(IReadOnlyList<PendingWrite> writes, int sectorSize);

    private sealed record PrefixPlan(int Count) : CrashPlan
    {
        internal override IEnumerable<(int Index, SectorMask Kept)> Choose(IReadOnlyList<PendingWrite> writes, int sectorSize)
        {
            if (Count > writes.Count)
            {
                throw new ArgumentException($"The plan keeps the first {Count} writes, but only {writes.Count} are pending.", nameof(writes));
            }

            for (int i = 0; i < Count; i++)
            {
                yield return (i, SectorMask.All);
            }
        }
    }

    private sealed record SubsetPlan(HashSet<int> Indexes) : CrashPlan
    {
        internal override IEnumerable<(int Index, SectorMask Kept)> Choose(IReadOnlyList<PendingWrite> writes, int sectorSize)
        {
            int outside = Indexes.FirstOrDefault(i => i >= writes.Count, -1);
            if (outside >= 0)
            {
                throw new ArgumentException($"The plan keeps write {outside}, but only {writes.Count} are pending.", nameof(writes));
            }

            return Indexes.Order().Select(i => (i, SectorMask.All));
        }
    }

    private sealed record RandomPlan(int Seed, double KeepProbability, double TornProbability) : CrashPlan
    {
        internal override IEnumerable<(int Index, SectorMask Kept)> Choose(IReadOnlyList<PendingWrite> writes, int sectorSize)
        {
            var random = new System.Random(Seed);
            for (int i = 0; i < writes.Count; i++)
            {
                if (random.NextDouble() >= KeepProbability)
                {
                    continue;
                }

                int sectors = writes[i].Length / sectorSize;
                if (sectors > 1 && random.NextDouble() < TornProbability)
                {
                    yield return (i, SectorMask.Torn(sectors, random));
                }
                else
                {
                    yield return (i, SectorMask.All);
                }
            }
        }
    }
}
