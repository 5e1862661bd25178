using System.Runtime.InteropServices;
using MountVexfs.Native;

namespace MountVexfs.Fuse;

/// <summary>
/// An open /dev/fuse: each read takes one whole request, each write sends one whole reply. A read waits in
/// poll beside a wake-up pipe, so that <see cref="Wake"/> ends it from another thread (at SIGTERM).
/// </summary>
internal sealed unsafe class FuseDevice : IDisposable
{
    private const int Eintr = 4;
    private const int Enoent = 2;
    private const int Eagain = 11;
    private const int Enodev = 19;

    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private int _disposed;

    private FuseDevice(int fd, int wakeRead, int wakeWrite)
    {
        Fd = fd;
        _wakeRead = wakeRead;
        _wakeWrite = wakeWrite;
    }

    /// <summary>The file descriptor mount(2) is given.</summary>
    public int Fd { get; }

    /// <summary>Opens /dev/fuse.</summary>
    /// <exception cref="IOException">It cannot be opened (no FUSE in the kernel, or no permission).</exception>
    public static FuseDevice Open()
    {
        int fd = LibC.Open("/dev/fuse", LibC.ORdWr | LibC.OCloExec | LibC.ONonBlock, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open /dev/fuse: {LibC.Describe(errno)}", errno);
        }

        return Adopt(fd);
    }

    /// <summary>Takes over an open /dev/fuse descriptor (one fusermount3 handed over, already mounted).</summary>
    public static FuseDevice Adopt(int fd)
    {
        const int SetFlags = 4;
        LibC.Fcntl(fd, SetFlags, LibC.ONonBlock);
        int* pipe = stackalloc int[2];
        if (LibC.Pipe2(pipe, LibC.OCloExec | LibC.ONonBlock) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.Close(fd);
            throw new IOException($"cannot make a pipe: {LibC.Describe(errno)}", errno);
        }

        return new FuseDevice(fd, pipe[0], pipe[1]);
    }

    /// <summary>
    /// Reads the next request into <paramref name="buffer"/> (which must hold the largest request); returns its
    /// length, or 0 when the filesystem was unmounted or <see cref="Wake"/> was called.
    /// </summary>
    public int Read(Span<byte> buffer)
    {
        var fds = stackalloc LibC.PollFd[2];
        while (true)
        {
            fds[0] = new LibC.PollFd { Fd = Fd, Events = LibC.PollIn };
            fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
            if (LibC.Poll(fds, 2, -1) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                {
                    continue;
                }

                throw new IOException($"poll on /dev/fuse: {LibC.Describe(errno)}", errno);
            }

            if (fds[1].Revents != 0)
            {
                return 0;
            }

            fixed (byte* p = buffer)
            {
                nint read = LibC.Read(Fd, p, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return (int)read;
                }
            }

            int error = Marshal.GetLastPInvokeError();
            switch (error)
            {
                case Eintr or Eagain or Enoent:
                    // Interrupted, taken by another reader, or a request the kernel dropped before it was read.
                    continue;
                case Enodev:
                    return 0;
                default:
                    throw new IOException($"reading /dev/fuse: {LibC.Describe(error)}", error);
            }
        }
    }

    /// <summary>Sends one reply. A reply to a request the kernel no longer waits for (interrupted) is dropped.</summary>
    public void Write(ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            while (LibC.Write(Fd, p, (nuint)message.Length) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                {
                    continue;
                }

                if (errno is Enoent or Enodev)
                {
                    return;
                }

                throw new IOException($"writing /dev/fuse: {LibC.Describe(errno)}", errno);
            }
        }
    }

    /// <summary>Ends a <see cref="Read"/> waiting now or later, from any thread (async-signal-safe: one write).</summary>
    public void Wake()
    {
        byte one = 1;
        LibC.Write(_wakeWrite, &one, 1);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            LibC.Close(Fd);
            LibC.Close(_wakeRead);
            LibC.Close(_wakeWrite);
        }
    }
}
