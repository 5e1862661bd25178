using VexFs.BlockDevices.CrashSimulation;

namespace VexFs.BlockDevices.Tests;

public sealed class CrashSimulatingDeviceTests
{
    private const int Sector = 512;

    [Fact]
    public void Records_each_unflushed_write_in_order_and_forgets_them_at_flush()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(Sector * 3, Patterns.Filled(Sector, 1));
        device.Write(0, Patterns.Filled(Sector * 2, 2));
        device.Discard(Sector * 8, Sector * 4);
        var pending = device.PendingWrites;
        Assert.Equal([(0L, Sector * 3L, Sector), (1L, 0L, Sector * 2), (2L, Sector * 8L, Sector * 4)], pending.Select(p => (p.Sequence, p.Offset, p.Length)));
        Assert.All(pending[0].Data.ToArray(), b => Assert.Equal(1, b));
        Assert.True(pending[2].IsDiscard);
        device.Flush();
        Assert.Empty(device.PendingWrites);
        Assert.Equal(1, device.FlushCount);
        Assert.Equal(3, device.WriteCount);
    }

    [Fact]
    public void Pending_data_is_a_copy_of_what_was_written()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        var buffer = Patterns.Filled(Sector, 7);
        device.Write(0, buffer);
        buffer[0] = 99;
        Assert.Equal(7, device.PendingWrites[0].Data.Span[0]);
        using var image = device.CrashImage(CrashPlan.Prefix(1));
        Assert.Equal(7, ReadSector(image, 0)[0]);
    }

    [Fact]
    public void Reads_see_unflushed_writes_but_the_durable_image_does_not()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector, 1));
        device.Flush();
        device.Write(0, Patterns.Filled(Sector, 2));
        Assert.Equal(2, ReadSector(device, 0)[0]);
        using var durable = device.DurableImage();
        Assert.Equal(1, ReadSector(durable, 0)[0]);
        using var current = device.CurrentImage();
        Assert.Equal(2, ReadSector(current, 0)[0]);
    }

    [Fact]
    public void Each_prefix_image_holds_exactly_the_first_writes()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector * 2, 1));
        device.Flush();
        byte[][] writes = [Patterns.Filled(Sector, 2), Patterns.Filled(Sector * 2, 3), Patterns.Filled(Sector, 4)];
        long[] offsets = [Sector, 0, Sector * 5];
        for (int i = 0; i < writes.Length; i++)
        {
            device.Write(offsets[i], writes[i]);
        }

        for (int k = 0; k <= writes.Length; k++)
        {
            var expected = new byte[Sector * 8];
            Array.Fill(expected, (byte)1, 0, Sector * 2);
            for (int i = 0; i < k; i++)
            {
                writes[i].CopyTo(expected, offsets[i]);
            }

            using var image = device.CrashImage(CrashPlan.Prefix(k));
            var actual = new byte[expected.Length];
            image.Read(0, actual);
            Assert.Equal(expected, actual);
        }

        Assert.Throws<ArgumentException>(() => device.CrashImage(CrashPlan.Prefix(4)));
    }

    [Fact]
    public void A_subset_image_may_keep_a_later_write_without_an_earlier_one()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector, 1));
        device.Write(Sector, Patterns.Filled(Sector, 2));
        using var image = device.CrashImage(CrashPlan.Subset([1]));
        Assert.Equal(0, ReadSector(image, 0)[0]);
        Assert.Equal(2, ReadSector(image, 1)[0]);
    }

    [Fact]
    public void Random_images_reorder_writes_to_one_sector_both_ways()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector, 1));
        device.Write(0, Patterns.Filled(Sector, 2));
        var seen = new HashSet<byte>();
        for (int seed = 0; seed < 64; seed++)
        {
            using var image = device.CrashImage(CrashPlan.Random(seed));
            seen.Add(ReadSector(image, 0)[0]);
        }

        // Nothing, the first write alone (the second was lost), or the second.
        Assert.Equal(new byte[] { 0, 1, 2 }, seen.Order().ToArray());
    }

    [Fact]
    public void Torn_writes_keep_some_sectors_and_lose_others()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector * 8, 5));
        int torn = 0;
        for (int seed = 0; seed < 50; seed++)
        {
            using var image = device.CrashImage(CrashPlan.Random(seed, keepProbability: 1.0, tornProbability: 1.0));
            int kept = Enumerable.Range(0, 8).Count(s => ReadSector(image, s)[0] == 5);
            Assert.InRange(kept, 1, 7);
            Assert.All(Enumerable.Range(0, 8), s => Assert.True(ReadSector(image, s).All(b => b == ReadSector(image, s)[0]), "a sector is never torn inside"));
            torn++;
        }

        Assert.Equal(50, torn);
        using var whole = device.CrashImage(CrashPlan.Random(1, keepProbability: 1.0, tornProbability: 0.0));
        Assert.All(Enumerable.Range(0, 8), s => Assert.Equal(5, ReadSector(whole, s)[0]));
    }

    [Fact]
    public void Random_images_replay_from_their_seed()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        for (int i = 0; i < 20; i++)
        {
            device.Write(Sector * (i % 7) * 3, Patterns.Random(Sector * 3, seed: i));
        }

        using var first = device.CrashImage(CrashPlan.Random(42, tornProbability: 0.5));
        using var second = device.CrashImage(CrashPlan.Random(42, tornProbability: 0.5));
        using var other = device.CrashImage(CrashPlan.Random(43, tornProbability: 0.5));
        Assert.True(first.ContentEquals(second));
        Assert.False(first.ContentEquals(other));
    }

    [Fact]
    public void Crash_images_are_independent_of_the_device_and_of_each_other()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector, 1));
        using var image = device.CrashImage(CrashPlan.Prefix(1));
        image.Write(0, Patterns.Filled(Sector, 9));
        device.Write(0, Patterns.Filled(Sector, 2));
        device.Flush();
        using var later = device.DurableImage();
        Assert.Equal(9, ReadSector(image, 0)[0]);
        Assert.Equal(2, ReadSector(later, 0)[0]);
        Assert.Equal(2, ReadSector(device, 0)[0]);
    }

    [Fact]
    public void The_flushing_event_sees_the_writes_still_pending()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector, 3));
        int pendingDuringFlush = -1;
        byte durableDuringFlush = 0xFF;
        device.Flushing += (_, _) =>
        {
            pendingDuringFlush = device.PendingWrites.Count;
            using var durable = device.DurableImage();
            durableDuringFlush = ReadSector(durable, 0)[0];
        };
        device.Flush();
        Assert.Equal(1, pendingDuringFlush);
        Assert.Equal(0, durableDuringFlush);
        using var after = device.DurableImage();
        Assert.Equal(3, ReadSector(after, 0)[0]);
    }

    [Fact]
    public void A_pending_discard_may_or_may_not_have_zeroed_its_range()
    {
        using var device = new CrashSimulatingDevice(1 << 20);
        device.Write(0, Patterns.Filled(Sector * 2, 6));
        device.Flush();
        device.Discard(0, Sector * 2);
        using var lost = device.CrashImage(CrashPlan.Prefix(0));
        using var kept = device.CrashImage(CrashPlan.Prefix(1));
        Assert.Equal(6, ReadSector(lost, 1)[0]);
        Assert.Equal(0, ReadSector(kept, 1)[0]);
    }

    [Fact]
    public void Starts_from_a_given_image()
    {
        using var initial = new MemoryBlockDevice(1 << 20, 4096);
        initial.Write(4096, Patterns.Filled(4096, 8));
        using var device = new CrashSimulatingDevice(initial);
        Assert.Equal(4096, device.SectorSize);
        using var durable = device.DurableImage();
        Assert.True(durable.ContentEquals(initial));
    }

    private static byte[] ReadSector(BlockDevice device, int sector)
    {
        var buffer = new byte[Sector];
        device.Read((long)sector * Sector, buffer);
        return buffer;
    }
}
