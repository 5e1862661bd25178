using MountVexfs.Native;

namespace MountVexfs.Fuse;

/// <summary>
/// A worker's buffer for requests from /dev/fuse, one at a time, read straight from the device. A WRITE's data
/// (after the header and fuse_write_in) lands at the start of a huge page (<see cref="HugePageBuffer"/>), so an
/// O_DIRECT device writes that data from here without a bounce copy, in requests as large as it takes.
/// </summary>
internal sealed class RequestBuffer : IDisposable
{
    /// <summary>Where a WRITE's data starts: after the header and fuse_write_in (40 bytes).</summary>
    private const int WriteDataOffset = FuseRequest.HeaderSize + 40;

    private readonly HugePageBuffer _buffer = new(WriteDataOffset, FuseSession.MaxRequest - WriteDataOffset);
    private readonly FuseDevice _device;

    // How this buffer's thread waits on the device.
    private readonly FuseDevice.Waiter _waiter;

    /// <summary>A buffer for requests from <paramref name="device"/>.</summary>
    /// <exception cref="IOException">The kernel refused the buffer's way to wait on the device.</exception>
    public RequestBuffer(FuseDevice device)
    {
        _device = device;
        try
        {
            _waiter = device.NewWaiter();
        }
        catch
        {
            ((IDisposable)_buffer).Dispose();
            throw;
        }
    }

    /// <summary>Unmaps the buffer; no request read into it may be served after.</summary>
    public void Dispose()
    {
        _waiter.Dispose();
        ((IDisposable)_buffer).Dispose();
    }

    /// <summary>
    /// Waits for the next request and reads it, replacing the one read before; null once the filesystem is
    /// unmounted or the device is woken to stop. One thread at a time reads into a buffer; several buffers may
    /// read from one device at once.
    /// </summary>
    /// <exception cref="IOException">The device failed, or sent a request shorter than its header.</exception>
    public FuseRequest? ReadNext()
    {
        int length = _device.Read(_waiter, _buffer.GetSpan());
        if (length == 0)
        {
            return null;
        }

        try
        {
            return new FuseRequest(_buffer.Memory[..length]);
        }
        catch (InvalidDataException e)
        {
            throw new IOException(e.Message, e);
        }
    }
}
