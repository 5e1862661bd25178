using System.Runtime.InteropServices;

namespace VexFs.BlockDevices.Tests.Contract;

/// <summary>
/// The contract every <see cref="BlockDevice"/> keeps, run once per device kind by the derived classes.
/// </summary>
public abstract class DeviceContract : IDisposable
{
    protected const long DeviceLength = 8L << 20;

    private readonly List<IDisposable> _cleanup = [];

    /// <summary>A fresh, zero-filled, writable device of <paramref name="length"/> bytes.</summary>
    protected abstract BlockDevice CreateDevice(long length);

    /// <summary>
    /// Closes <paramref name="device"/> and opens what backs it again, read-only; for memory kinds, a
    /// read-only snapshot.
    /// </summary>
    protected abstract BlockDevice ReopenReadOnly(BlockDevice device);

    /// <summary>Whether discarded ranges are guaranteed to read as zeros on this kind.</summary>
    protected virtual bool DiscardReadsZeros => true;

    public void Dispose()
    {
        for (int i = _cleanup.Count - 1; i >= 0; i--)
        {
            _cleanup[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected T Track<T>(T disposable)
        where T : IDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }

    private BlockDevice Create() => Track(CreateDevice(DeviceLength));

    [Fact]
    public void Reports_its_geometry()
    {
        var device = Create();
        Assert.Equal(DeviceLength, device.Length);
        Assert.True(device.SectorSize is >= 512 and <= 65536 && (device.SectorSize & (device.SectorSize - 1)) == 0);
        Assert.False(device.IsReadOnly);
        Assert.False(string.IsNullOrWhiteSpace(device.Description));
    }

    [Fact]
    public void Unwritten_sectors_read_as_zeros()
    {
        var device = Create();
        var buffer = Patterns.Filled(device.SectorSize * 4, 0xAB);
        device.Read(device.Length - buffer.Length, buffer);
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(7, 3)]
    [InlineData(1000, 2048 + 7)]
    [InlineData(-1, 16)]
    public void Writes_read_back_at_any_aligned_place(int sectorIndex, int sectors)
    {
        var device = Create();
        int sector = device.SectorSize;
        long maxSectors = device.Length / sector;
        long index = sectorIndex >= 0 ? sectorIndex : maxSectors - sectors;
        var data = Patterns.Random(sectors * sector, seed: sectorIndex + sectors);
        device.Write(index * sector, data);
        var back = new byte[data.Length];
        device.Read(index * sector, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task Asynchronous_requests_round_trip()
    {
        var device = Create();
        int sector = device.SectorSize;
        var data = Patterns.Random(sector * 64, seed: 3);
        await device.WriteAsync(sector * 5, data, TestContext.Current.CancellationToken);
        await device.FlushAsync(TestContext.Current.CancellationToken);
        var back = new byte[data.Length];
        await device.ReadAsync(sector * 5, back, TestContext.Current.CancellationToken);
        Assert.Equal(data, back);
    }

    [Fact]
    public void Unaligned_memory_larger_than_a_bounce_buffer_round_trips()
    {
        var device = Create();
        int length = (3 << 20) + (device.SectorSize * 3);
        var backing = Patterns.Random(length + 1, seed: 9);
        device.Write(device.SectorSize, backing.AsSpan(1, length));
        var back = new byte[length + 3];
        device.Read(device.SectorSize, back.AsSpan(3, length));
        Assert.True(backing.AsSpan(1, length).SequenceEqual(back.AsSpan(3, length)));
    }

    [Fact]
    public unsafe void Large_requests_in_page_aligned_memory_round_trip()
    {
        // Direct devices move these in pieces at once; the bytes must land and come back in order all the same,
        // whichever way each side is read or written.
        var device = Create();
        int sector = device.SectorSize;
        int length = (2 << 20) + (sector * 5);
        var data = Patterns.Random(length, seed: 21);
        byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
        try
        {
            var aligned = new Span<byte>(memory, length);
            data.CopyTo(aligned);
            device.Write(sector * 3, aligned);
            var back = new byte[length];
            device.Read(sector * 3, back);
            Assert.True(data.AsSpan().SequenceEqual(back), "written aligned, read unaligned");

            aligned.Clear();
            device.Read(sector * 3, aligned);
            Assert.True(data.AsSpan().SequenceEqual(aligned), "read aligned");

            var middle = Patterns.Random(1 << 20, seed: 22);
            device.Write(sector * 3 + (512 << 10), middle);
            middle.CopyTo(data, 512 << 10);
            device.Read(sector * 3, aligned);
            Assert.True(data.AsSpan().SequenceEqual(aligned), "overwritten unaligned, read aligned");
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
    }

    [Fact]
    public async Task Unaligned_memory_round_trips_asynchronously()
    {
        var device = Create();
        int length = (1 << 20) + device.SectorSize;
        var backing = Patterns.Random(length + 5, seed: 10);
        await device.WriteAsync(0, backing.AsMemory(5, length), TestContext.Current.CancellationToken);
        var back = new byte[length + 7];
        await device.ReadAsync(0, back.AsMemory(7, length), TestContext.Current.CancellationToken);
        Assert.True(backing.AsSpan(5, length).SequenceEqual(back.AsSpan(7, length)));
    }

    [Fact]
    public void Misaligned_offsets_are_refused_with_the_numbers()
    {
        var device = Create();
        var buffer = new byte[device.SectorSize];
        var read = Assert.Throws<ArgumentException>(() => device.Read(1, buffer));
        Assert.Contains("offset 1 ", read.Message, StringComparison.Ordinal);
        Assert.Contains(device.SectorSize.ToString(System.Globalization.CultureInfo.InvariantCulture), read.Message, StringComparison.Ordinal);
        var write = Assert.Throws<ArgumentException>(() => device.Write(device.SectorSize + 3, buffer));
        Assert.Contains($"offset {device.SectorSize + 3} ", write.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => device.Discard(7, device.SectorSize));
    }

    [Fact]
    public void Misaligned_lengths_are_refused_with_the_numbers()
    {
        var device = Create();
        var odd = new byte[device.SectorSize + 1];
        var e = Assert.Throws<ArgumentException>(() => device.Write(0, odd));
        Assert.Contains($"length {odd.Length} ", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => device.Read(0, odd));
        Assert.Throws<ArgumentException>(() => device.Discard(0, 100));
    }

    [Fact]
    public void Requests_past_the_end_are_refused_not_truncated()
    {
        var device = Create();
        int sector = device.SectorSize;
        var two = new byte[sector * 2];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => device.Write(device.Length - sector, two));
        Assert.Contains((device.Length - sector).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Contains(device.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Read(device.Length, two));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Read(-sector, two));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Discard(0, device.Length + sector));

        // Nothing was written by the refused request.
        var last = new byte[sector];
        device.Read(device.Length - sector, last);
        Assert.All(last, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Empty_requests_at_the_end_are_allowed_and_change_nothing()
    {
        var device = Create();
        int sector = device.SectorSize;
        var last = Patterns.Random(sector, seed: 9);
        device.Write(device.Length - sector, last);
        device.Flush();

        device.Read(device.Length, Span<byte>.Empty);
        device.Write(device.Length, ReadOnlySpan<byte>.Empty);
        device.Discard(device.Length, 0);
        device.Write(0, ReadOnlySpan<byte>.Empty);
        device.Discard(0, 0);

        var back = new byte[sector];
        device.Read(device.Length - sector, back);
        Assert.Equal(last, back);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Read(device.Length + sector, Span<byte>.Empty));
    }

    [Fact]
    public void Flushed_writes_are_there_after_reopening_read_only()
    {
        var device = CreateDevice(DeviceLength);
        var data = Patterns.Random(device.SectorSize * 16, seed: 4);
        long at = device.SectorSize * 100L;
        device.Write(at, data);
        device.Flush();
        var reopened = Track(ReopenReadOnly(device));
        Assert.True(reopened.IsReadOnly);
        Assert.Equal(DeviceLength, reopened.Length);
        var back = new byte[data.Length];
        reopened.Read(at, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void A_read_only_device_refuses_writes_and_discards()
    {
        var device = CreateDevice(DeviceLength);
        var reopened = Track(ReopenReadOnly(device));
        var buffer = new byte[reopened.SectorSize];
        Assert.Throws<NotSupportedException>(() => reopened.Write(0, buffer));
        Assert.Throws<NotSupportedException>(() => reopened.Discard(0, buffer.Length));
        reopened.Flush();
        reopened.Read(0, buffer);
    }

    [Fact]
    public void Discarded_ranges_read_as_zeros_or_old_data_and_stay_writable()
    {
        var device = Create();
        int sector = device.SectorSize;
        var data = Patterns.Random(1 << 20, seed: 5);
        device.Write(0, data);
        device.Discard(sector * 8, 512 * 1024);
        var back = new byte[data.Length];
        device.Read(0, back);
        Assert.True(data.AsSpan(0, sector * 8).SequenceEqual(back.AsSpan(0, sector * 8)));
        for (int i = sector * 8; i < (sector * 8) + (512 * 1024); i++)
        {
            Assert.True(back[i] == 0 || (!DiscardReadsZeros && back[i] == data[i]), $"byte {i} is {back[i]}");
        }

        int tail = (sector * 8) + (512 * 1024);
        Assert.True(data.AsSpan(tail).SequenceEqual(back.AsSpan(tail)));
        var again = Patterns.Random(sector * 4, seed: 6);
        device.Write(sector * 8, again);
        var check = new byte[again.Length];
        device.Read(sector * 8, check);
        Assert.Equal(again, check);
    }

    [Fact]
    public void Parallel_writers_on_distinct_ranges_do_not_interfere()
    {
        var device = Create();
        const int Writers = 8;
        int slice = (int)(device.Length / Writers);
        Parallel.For(0, Writers, w =>
        {
            var data = Patterns.Random(slice, seed: 100 + w);
            for (int offset = 0; offset < slice; offset += 64 * 1024)
            {
                device.Write(((long)w * slice) + offset, data.AsSpan(offset, 64 * 1024));
            }
        });
        Parallel.For(0, Writers, w =>
        {
            var back = new byte[slice];
            device.Read((long)w * slice, back);
            Assert.Equal(Patterns.Random(slice, seed: 100 + w), back);
        });
    }

    [Fact]
    public async Task A_disposed_device_refuses_every_operation()
    {
        var device = CreateDevice(DeviceLength);
        device.Dispose();
        device.Dispose();
        Assert.True(device.IsDisposed);
        var buffer = new byte[device.SectorSize];
        Assert.Throws<ObjectDisposedException>(() => device.Read(0, buffer));
        Assert.Throws<ObjectDisposedException>(() => device.Write(0, buffer));
        Assert.Throws<ObjectDisposedException>(() => device.Flush());
        Assert.Throws<ObjectDisposedException>(() => device.Discard(0, buffer.Length));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await device.ReadAsync(0, buffer, TestContext.Current.CancellationToken));
    }
}
