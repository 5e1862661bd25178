namespace VexFs.Bench.FileSystem;

/// <summary>
/// What one timed run did: <paramref name="Done"/> units (bytes or operations) of the <paramref name="Asked"/>
/// wanted, in <paramref name="Seconds"/>. A run that hit the time cap did fewer than it was asked.
/// </summary>
internal readonly record struct Run(long Done, long Asked, double Seconds)
{
    public double Rate => Done / Seconds;

    public bool Capped => Done < Asked;
}
