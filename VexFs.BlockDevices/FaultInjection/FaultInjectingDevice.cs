namespace VexFs.BlockDevices.FaultInjection;

/// <summary>
/// Wraps a device and injects faults by rule: I/O errors, short and torn writes, a full device, latency.
/// Every choice comes from one generator seeded at construction, so a failing run replays exactly.
/// </summary>
public sealed class FaultInjectingDevice : BlockDevice
{
    private const int Eio = 5;

    private readonly BlockDevice _inner;
    private readonly bool _leaveOpen;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private readonly List<(FaultRule Rule, long Seen)> _rules = [];
    private long _operationCount;
    private long _faultCount;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The device that performs the operations that are not faulted.</param>
    /// <param name="rules">The faults to inject; more can be added later.</param>
    /// <param name="seed">Seeds every random choice (probabilities, torn and short write lengths).</param>
    /// <param name="leaveOpen">Leave <paramref name="inner"/> open when this device is disposed.</param>
    public FaultInjectingDevice(BlockDevice inner, IEnumerable<FaultRule>? rules = null, int seed = 0, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
        _random = new Random(seed);
        foreach (var rule in rules ?? [])
        {
            AddRule(rule);
        }
    }

    /// <summary>The device being wrapped.</summary>
    public BlockDevice Inner => _inner;

    /// <inheritdoc />
    public override int SectorSize => _inner.SectorSize;

    /// <inheritdoc />
    public override long Length => _inner.Length;

    /// <inheritdoc />
    public override bool IsReadOnly => _inner.IsReadOnly;

    /// <inheritdoc />
    public override string Description => $"fault-injecting device over {_inner.Description}";

    /// <summary>The number of operations seen, faulted or not.</summary>
    public long OperationCount => Interlocked.Read(ref _operationCount);

    /// <summary>The number of faults injected.</summary>
    public long FaultCount => Interlocked.Read(ref _faultCount);

    /// <summary>Adds a rule; its count of applicable operations starts now.</summary>
    public void AddRule(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        lock (_lock)
        {
            _rules.Add((rule, 0));
        }
    }

    /// <summary>Removes every rule: the device behaves like the one it wraps.</summary>
    public void ClearRules()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer)
    {
        if (Strike(DeviceOperations.Read, offset, buffer.Length) is { } fault)
        {
            ApplyWithoutData(fault, "read", offset, buffer.Length);
        }

        _inner.Read(offset, buffer);
    }

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
    {
        if (Strike(DeviceOperations.Write, offset, buffer.Length) is { } fault)
        {
            if (fault.Rule.Kind is FaultKind.ShortWrite or FaultKind.TornWrite)
            {
                WritePartially(fault, offset, buffer);
                throw Injected(fault, "write", offset, buffer.Length);
            }

            ApplyWithoutData(fault, "write", offset, buffer.Length);
        }

        _inner.Write(offset, buffer);
    }

    /// <inheritdoc />
    protected override void FlushCore()
    {
        if (Strike(DeviceOperations.Flush, 0, Length) is { } fault)
        {
            ApplyWithoutData(fault, "flush", 0, 0);
        }

        _inner.Flush();
    }

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        if (Strike(DeviceOperations.Discard, offset, length) is { } fault)
        {
            ApplyWithoutData(fault, "discard", offset, length);
        }

        _inner.Discard(offset, length);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private Fault? Strike(DeviceOperations operation, long offset, long length)
    {
        lock (_lock)
        {
            long number = ++_operationCount;
            for (int i = 0; i < _rules.Count; i++)
            {
                var (rule, seen) = _rules[i];
                bool touches = operation == DeviceOperations.Flush || rule.Touches(offset, length);
                if ((rule.Operations & operation) == 0 || !touches)
                {
                    continue;
                }

                _rules[i] = (rule, ++seen);
                if (seen < rule.First || seen > rule.Last)
                {
                    continue;
                }

                if (rule.Probability < 1.0 && _random.NextDouble() >= rule.Probability)
                {
                    continue;
                }

                _faultCount++;
                return new Fault(rule, number, _random.Next());
            }

            return null;
        }
    }

    private static void ApplyWithoutData(Fault fault, string operation, long offset, long length)
    {
        switch (fault.Rule.Kind)
        {
            case FaultKind.Latency:
                Thread.Sleep(fault.Rule.Latency);
                return;
            case FaultKind.DiskFull when operation == "write":
                throw new DiskFullException($"Injected ENOSPC: no space left for a write of {length} bytes at offset {offset} (operation #{fault.Operation}).");
            default:
                throw Injected(fault, operation, offset, length);
        }
    }

    private void WritePartially(Fault fault, long offset, ReadOnlySpan<byte> buffer)
    {
        int sector = SectorSize;
        int sectors = buffer.Length / sector;
        var random = new Random(fault.Seed);
        if (fault.Rule.Kind == FaultKind.ShortWrite)
        {
            int kept = sectors == 0 ? 0 : random.Next(sectors);
            if (kept > 0)
            {
                _inner.Write(offset, buffer[..(kept * sector)]);
            }

            return;
        }

        for (int s = 0; s < sectors; s++)
        {
            if (random.Next(2) == 1)
            {
                _inner.Write(offset + ((long)s * sector), buffer.Slice(s * sector, sector));
            }
        }
    }

    private static IOException Injected(Fault fault, string operation, long offset, long length) =>
        new($"Injected I/O error (EIO): {fault.Rule.Kind} on the {operation} of {length} bytes at offset {offset} (operation #{fault.Operation}).", Eio);

    private readonly record struct Fault(FaultRule Rule, long Operation, int Seed);
}
