namespace VexFs.BlockDevices.FaultInjection;

/// <summary>
/// When to inject a fault: on the operations of the given kinds that touch a byte range, from the Nth such
/// operation to the Mth, each with a probability drawn from the device's seeded generator.
/// </summary>
public sealed record FaultRule
{
    /// <summary>What the fault does.</summary>
    public required FaultKind Kind { get; init; }

    /// <summary>The operations the rule applies to (and counts).</summary>
    public DeviceOperations Operations { get; init; } = DeviceOperations.All;

    /// <summary>The first applicable operation that faults, counting from 1.</summary>
    public long First { get; init; } = 1;

    /// <summary>The last applicable operation that faults; <see cref="long.MaxValue"/> for "from then on".</summary>
    public long Last { get; init; } = long.MaxValue;

    /// <summary>The start of the byte range an operation must touch; flushes touch every range.</summary>
    public long RangeStart { get; init; }

    /// <summary>The length of the byte range an operation must touch.</summary>
    public long RangeLength { get; init; } = long.MaxValue;

    /// <summary>The chance that an applicable operation faults.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>The delay of a <see cref="FaultKind.Latency"/> fault.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Faults the <paramref name="n"/>th applicable operation only.</summary>
    public static FaultRule Once(long n, FaultKind kind, DeviceOperations operations = DeviceOperations.All) =>
        new() { Kind = kind, Operations = operations, First = n, Last = n };

    /// <summary>Faults every applicable operation from the <paramref name="n"/>th on (a dead device).</summary>
    public static FaultRule From(long n, FaultKind kind, DeviceOperations operations = DeviceOperations.All) =>
        new() { Kind = kind, Operations = operations, First = n };

    /// <summary>Faults every applicable operation that touches the byte range (bad sectors).</summary>
    public static FaultRule InRange(long offset, long length, FaultKind kind, DeviceOperations operations = DeviceOperations.All) =>
        new() { Kind = kind, Operations = operations, RangeStart = offset, RangeLength = length };

    /// <summary>Faults each applicable operation with probability <paramref name="probability"/>.</summary>
    public static FaultRule WithProbability(double probability, FaultKind kind, DeviceOperations operations = DeviceOperations.All) =>
        new() { Kind = kind, Operations = operations, Probability = probability };

    internal void Validate()
    {
        if (First < 1 || Last < First)
        {
            throw new ArgumentOutOfRangeException(nameof(First), $"A fault rule needs 1 <= First <= Last; it has First {First}, Last {Last}.");
        }

        if (RangeStart < 0 || RangeLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RangeStart), $"A fault rule's range cannot be negative ({RangeStart}, {RangeLength}).");
        }

        if (Probability is < 0 or > 1 || double.IsNaN(Probability))
        {
            throw new ArgumentOutOfRangeException(nameof(Probability), Probability, "A probability lies between 0 and 1.");
        }

        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Latency), Latency, "A latency cannot be negative.");
        }
    }

    internal bool Touches(long offset, long length) =>
        offset < RangeStart + Math.Min(RangeLength, long.MaxValue - RangeStart) && RangeStart < offset + length;
}
