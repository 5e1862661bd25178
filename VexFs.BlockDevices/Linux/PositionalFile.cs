using Microsoft.Win32.SafeHandles;
using VexFs.BlockDevices.DirectIO;

namespace VexFs.BlockDevices.Linux;

/// <summary>
/// Positional reads and writes on a file descriptor (pread/pwrite through <see cref="RandomAccess"/>).
/// With O_DIRECT, a request whose memory is not aligned goes through a buffer from
/// <see cref="AlignedBufferPool"/>; aligned requests go straight to the device, a large one in pieces at once
/// (<see cref="SplitTransfer"/>).
/// </summary>
internal sealed class PositionalFile(SafeFileHandle handle, bool direct, string description)
{
    private int _largeInFlight;

    public SafeFileHandle Handle { get; } = handle;

    public bool IsDirect { get; } = direct;

    public unsafe void Read(long offset, Span<byte> buffer)
    {
        fixed (byte* address = buffer)
        {
            if (!IsDirect || IsAligned(address))
            {
                int split = IsDirect && SplitTransfer.Worthwhile(buffer.Length) ? Split(write: false, offset, address, buffer.Length) : 0;
                ReadExactly(offset + split, buffer[split..]);
                return;
            }
        }

        var bounce = AlignedBufferPool.Rent();
        try
        {
            while (!buffer.IsEmpty)
            {
                int count = Math.Min(buffer.Length, bounce.Length);
                var chunk = bounce.GetSpan()[..count];
                ReadExactly(offset, chunk);
                chunk.CopyTo(buffer);
                buffer = buffer[count..];
                offset += count;
            }
        }
        finally
        {
            AlignedBufferPool.Return(bounce);
        }
    }

    public unsafe void Write(long offset, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* address = buffer)
        {
            if (!IsDirect || IsAligned(address))
            {
                int split = IsDirect && SplitTransfer.Worthwhile(buffer.Length) ? Split(write: true, offset, address, buffer.Length) : 0;
                WriteAll(offset + split, buffer[split..]);
                return;
            }
        }

        var bounce = AlignedBufferPool.Rent();
        try
        {
            while (!buffer.IsEmpty)
            {
                int count = Math.Min(buffer.Length, bounce.Length);
                var chunk = bounce.GetSpan()[..count];
                buffer[..count].CopyTo(chunk);
                WriteAll(offset, chunk);
                buffer = buffer[count..];
                offset += count;
            }
        }
        finally
        {
            AlignedBufferPool.Return(bounce);
        }
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using (var pin = buffer.Pin())
        {
            if (!IsDirect || IsAligned(pin))
            {
                await ReadExactlyAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var bounce = AlignedBufferPool.Rent();
        try
        {
            while (!buffer.IsEmpty)
            {
                int count = Math.Min(buffer.Length, bounce.Length);
                var chunk = bounce.Memory[..count];
                await ReadExactlyAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                chunk.CopyTo(buffer);
                buffer = buffer[count..];
                offset += count;
            }
        }
        finally
        {
            AlignedBufferPool.Return(bounce);
        }
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        using (var pin = buffer.Pin())
        {
            if (!IsDirect || IsAligned(pin))
            {
                await WriteAllAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var bounce = AlignedBufferPool.Rent();
        try
        {
            while (!buffer.IsEmpty)
            {
                int count = Math.Min(buffer.Length, bounce.Length);
                var chunk = bounce.Memory[..count];
                buffer[..count].CopyTo(chunk);
                await WriteAllAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                buffer = buffer[count..];
                offset += count;
            }
        }
        finally
        {
            AlignedBufferPool.Return(bounce);
        }
    }

    private static unsafe bool IsAligned(byte* address) => ((nuint)address & (AlignedBufferPool.Alignment - 1)) == 0;

    private static unsafe bool IsAligned(System.Buffers.MemoryHandle pin) => IsAligned((byte*)pin.Pointer);

    private void ReadExactly(long offset, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(Handle, buffer, offset);
            if (read == 0)
            {
                throw EndOfDevice(offset, buffer.Length);
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    private async ValueTask ReadExactlyAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await RandomAccess.ReadAsync(Handle, buffer, offset, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw EndOfDevice(offset, buffer.Length);
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    private void WriteAll(long offset, ReadOnlySpan<byte> buffer)
    {
        try
        {
            RandomAccess.Write(Handle, buffer, offset);
        }
        catch (IOException e) when (e.HResult == LinuxNative.Enospc)
        {
            throw DiskFull(offset, buffer.Length, e);
        }
    }

    /// <summary>
    /// Moves a large direct transfer in pieces at once when it is the only large one in flight on this file, and
    /// returns the bytes moved (0: the caller moves it all the plain way). With others in flight the device has
    /// its queue already, and whole requests side by side move more than their pieces would.
    /// </summary>
    private unsafe int Split(bool write, long offset, byte* address, int length)
    {
        try
        {
            if (Interlocked.Increment(ref _largeInFlight) > 1)
            {
                return 0;
            }

            return (int)Math.Max(0, SplitTransfer.Run(Handle, write, address, offset, length));
        }
        catch (IOException e) when (write && e.HResult == LinuxNative.Enospc)
        {
            throw DiskFull(offset, length, e);
        }
        finally
        {
            Interlocked.Decrement(ref _largeInFlight);
        }
    }

    private async ValueTask WriteAllAsync(long offset, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await RandomAccess.WriteAsync(Handle, buffer, offset, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.HResult == LinuxNative.Enospc)
        {
            throw DiskFull(offset, buffer.Length, e);
        }
    }

    private DiskFullException DiskFull(long offset, int length, IOException cause) =>
        new($"No space left writing {length} bytes at offset {offset} of {description}.", cause);

    private EndOfStreamException EndOfDevice(long offset, int missing) =>
        new($"{description} ended early: {missing} bytes at offset {offset} could not be read.");
}
