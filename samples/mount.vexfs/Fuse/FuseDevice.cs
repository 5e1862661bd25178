using System.Runtime.InteropServices;
using MountVexfs.Native;

namespace MountVexfs.Fuse;

/// <summary>
/// An open /dev/fuse: each read takes one whole request, each write sends one whole reply. A read waits in
/// epoll beside a wake-up pipe, so that <see cref="Wake"/> ends it from another thread (at SIGTERM).
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
    /// A new way for one thread to wait for requests (<see cref="Read"/>): its own epoll instance, in which the
    /// device is watched exclusively, so that a request wakes one waiting reader rather than all of them, and
    /// the wake-up pipe is watched by everyone.
    /// </summary>
    /// <exception cref="IOException">The kernel refused the epoll instance.</exception>
    public Waiter NewWaiter()
    {
        int epoll = LibC.EpollCreate(LibC.EpollCloExec);
        if (epoll < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"epoll_create1: {LibC.Describe(errno)}", errno);
        }

        var waiter = new Waiter(epoll, _wakeRead);
        try
        {
            waiter.Watch(Fd, LibC.EpollIn | LibC.EpollExclusive);
            waiter.Watch(_wakeRead, LibC.EpollIn);
            return waiter;
        }
        catch
        {
            waiter.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits through <paramref name="waiter"/> for the next request and reads it into <paramref name="buffer"/>
    /// (which must hold the largest request); returns its length, or 0 when the filesystem was unmounted or
    /// <see cref="Wake"/> was called. Several threads may read at once, each through its own waiter.
    /// </summary>
    public int Read(Waiter waiter, Span<byte> buffer)
    {
        while (true)
        {
            switch (waiter.Wait())
            {
                case Waiter.Woken.Interrupted:
                    continue;
                case Waiter.Woken.Stop:
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

    /// <summary>One reader's epoll instance (<see cref="NewWaiter"/>).</summary>
    internal sealed class Waiter : IDisposable
    {
        private readonly int _epoll;
        private readonly int _wake;
        private int _disposed;

        internal Waiter(int epoll, int wake)
        {
            _epoll = epoll;
            _wake = wake;
        }

        internal enum Woken
        {
            Request,
            Stop,
            Interrupted,
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                LibC.Close(_epoll);
            }
        }

        internal void Watch(int fd, uint events)
        {
            byte* epollEvent = stackalloc byte[16];
            new Span<byte>(epollEvent, 16).Clear();
            *(uint*)epollEvent = events;
            *(ulong*)(epollEvent + LibC.EpollDataOffset) = (ulong)fd;
            if (LibC.EpollControl(_epoll, LibC.EpollCtlAdd, fd, epollEvent) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"epoll_ctl: {LibC.Describe(errno)}", errno);
            }
        }

        /// <summary>Waits until the device has a request, or the wake-up pipe is readable.</summary>
        internal Woken Wait()
        {
            // Two events at most: the device and the pipe.
            byte* events = stackalloc byte[32];
            int count = LibC.EpollWait(_epoll, events, 2, -1);
            if (count < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == Eintr ? Woken.Interrupted : throw new IOException($"epoll_wait on /dev/fuse: {LibC.Describe(errno)}", errno);
            }

            for (int i = 0; i < count; i++)
            {
                if (*(ulong*)(events + (i * LibC.EpollEventSize) + LibC.EpollDataOffset) == (ulong)_wake)
                {
                    return Woken.Stop;
                }
            }

            return Woken.Request;
        }
    }
}
