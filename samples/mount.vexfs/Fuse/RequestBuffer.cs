using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MountVexfs.Fuse;

/// <summary>
/// A worker's buffer for requests from /dev/fuse, one at a time, read straight from the device. It is pinned
/// and read at an offset that puts a WRITE's data (after the header and fuse_write_in) on a page boundary, so
/// an O_DIRECT device writes that data from here without a bounce copy.
/// </summary>
internal sealed class RequestBuffer
{
    /// <summary>Where a WRITE's data starts: after the header and fuse_write_in (40 bytes).</summary>
    private const int WriteDataOffset = FuseRequest.HeaderSize + 40;

    private const int Page = 4096;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(FuseSession.MaxRequest + Page, pinned: true);
    private readonly int _start;

    public unsafe RequestBuffer()
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _start = (int)((Page - ((address + WriteDataOffset) % Page)) % Page);
    }

    /// <summary>
    /// Waits for the next request and reads it, replacing the one read before; null once the filesystem is
    /// unmounted or the device is woken to stop.
    /// </summary>
    /// <exception cref="IOException">The device failed, or sent a request shorter than its header.</exception>
    public FuseRequest? ReadFrom(FuseDevice device)
    {
        int length = device.Read(_buffer.AsSpan(_start, FuseSession.MaxRequest));
        if (length == 0)
        {
            return null;
        }

        try
        {
            return new FuseRequest(_buffer, _start, length);
        }
        catch (InvalidDataException e)
        {
            throw new IOException(e.Message, e);
        }
    }
}
