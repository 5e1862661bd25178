using FsCheck;
using FsCheck.Fluent;

namespace VexFs.BlockDevices.Tests.Properties;

public enum DeviceOpKind
{
    Write,
    Read,
    Discard,
    Flush,
}

/// <summary>One step of a random device workload, in sectors.</summary>
public sealed record DeviceOp(DeviceOpKind Kind, int Sector, int Count, int Seed)
{
    public const int DeviceSectors = 512;

    public override string ToString() => Kind == DeviceOpKind.Flush ? "Flush" : $"{Kind}({Sector}+{Count}, seed {Seed})";
}

/// <summary>FsCheck generators for device workloads.</summary>
public static class DeviceOpArbitrary
{
    public static Arbitrary<DeviceOp[]> Workloads()
    {
        var sector = Gen.Choose(0, DeviceOp.DeviceSectors - 1);
        var count = Gen.Frequency((4, Gen.Choose(1, 4)), (1, Gen.Choose(5, 64)));
        var kind = Gen.Frequency(
            (6, Gen.Constant(DeviceOpKind.Write)),
            (4, Gen.Constant(DeviceOpKind.Read)),
            (1, Gen.Constant(DeviceOpKind.Discard)),
            (2, Gen.Constant(DeviceOpKind.Flush)));
        var op =
            from k in kind
            from s in sector
            from c in count
            from seed in Gen.Choose(0, int.MaxValue - 1)
            select new DeviceOp(k, s, Math.Min(c, DeviceOp.DeviceSectors - s), seed);
        return op.ArrayOf().ToArbitrary();
    }
}
