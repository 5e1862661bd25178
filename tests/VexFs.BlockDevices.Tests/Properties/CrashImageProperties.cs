using FsCheck.Xunit;
using VexFs.BlockDevices.CrashSimulation;

namespace VexFs.BlockDevices.Tests.Properties;

/// <summary>
/// Every crash image the crash-simulating device produces is a legal outcome of a power cut, checked
/// against a model that knows only the last flushed state and the writes since.
/// </summary>
public sealed class CrashImageProperties
{
    private const int Sector = 512;
    private const int Sectors = DeviceOp.DeviceSectors;

    [Property(Arbitrary = [typeof(DeviceOpArbitrary)], MaxTest = 200)]
    public void Every_crash_image_is_a_legal_outcome(DeviceOp[] ops, int seed)
    {
        using var device = new CrashSimulatingDevice((long)Sectors * Sector);
        var durable = new byte[Sectors * Sector];
        var pending = new List<(int Sector, byte[] Data)>();
        int checks = 0;
        device.Flushing += (_, _) =>
        {
            CheckImages(device, durable, pending, seed + checks++);
        };

        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case DeviceOpKind.Write:
                    var data = DeviceModel.DataFor(op, Sector);
                    device.Write((long)op.Sector * Sector, data);
                    pending.Add((op.Sector, data));
                    break;
                case DeviceOpKind.Discard:
                    device.Discard((long)op.Sector * Sector, (long)op.Count * Sector);
                    pending.Add((op.Sector, new byte[op.Count * Sector]));
                    break;
                case DeviceOpKind.Flush:
                    device.Flush();
                    foreach (var (sector, bytes) in pending)
                    {
                        bytes.CopyTo(durable, sector * Sector);
                    }

                    pending.Clear();
                    break;
                case DeviceOpKind.Read:
                    break;
            }
        }

        CheckImages(device, durable, pending, seed);
    }

    private static void CheckImages(CrashSimulatingDevice device, byte[] durable, List<(int Sector, byte[] Data)> pending, int seed)
    {
        Assert.Equal(pending.Count, device.PendingWrites.Count);

        // Prefixes are exact: the durable state plus the first k writes, in order.
        foreach (int k in new[] { 0, pending.Count / 2, pending.Count }.Distinct())
        {
            var expected = (byte[])durable.Clone();
            foreach (var (sector, bytes) in pending.Take(k))
            {
                bytes.CopyTo(expected, sector * Sector);
            }

            using var image = device.CrashImage(CrashPlan.Prefix(k));
            Assert.True(Read(image).AsSpan().SequenceEqual(expected), $"prefix {k} of {pending.Count} differs");
        }

        // Random subsets with torn writes: each sector holds the durable contents or one pending version.
        for (int trial = 0; trial < 3; trial++)
        {
            using var image = device.CrashImage(CrashPlan.Random(seed + trial, keepProbability: 0.5, tornProbability: 0.5));
            var actual = Read(image);
            for (int s = 0; s < Sectors; s++)
            {
                var got = actual.AsSpan(s * Sector, Sector);
                bool legal = got.SequenceEqual(durable.AsSpan(s * Sector, Sector));
                foreach (var (sector, bytes) in pending)
                {
                    if (!legal && s >= sector && s < sector + (bytes.Length / Sector))
                    {
                        legal = got.SequenceEqual(bytes.AsSpan((s - sector) * Sector, Sector));
                    }
                }

                Assert.True(legal, $"sector {s} holds a version no power cut could leave (seed {seed + trial})");
            }
        }
    }

    private static byte[] Read(BlockDevice device)
    {
        var all = new byte[Sectors * Sector];
        device.Read(0, all);
        return all;
    }
}
