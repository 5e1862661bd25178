using System.Runtime.InteropServices;
using Microsoft.Extensions.ObjectPool;
using Microsoft.Win32.SafeHandles;

namespace VexFs.BlockDevices.Linux;

/// <summary>
/// One large direct transfer cut into pieces that the device serves at once: the pieces go to the kernel in one
/// io_submit (Linux native AIO, which is asynchronous for O_DIRECT) and the caller waits for all of them. A disk
/// or a loop device moves four 256 KiB requests in flight faster than one of 1 MiB, as the kernel's own writeback
/// does with its queue. Contexts come from a pool; where the kernel has no AIO (or its limit is reached) the
/// caller is told so and transfers the plain way.
/// </summary>
internal sealed unsafe class SplitTransfer : IDisposable
{
    /// <summary>The size of a piece; a transfer is split only when it makes two or more.</summary>
    public const int PieceSize = 256 * 1024;

    /// <summary>The most pieces in flight for one transfer.</summary>
    public const int MaxPieces = 8;

    // struct iocb (linux/aio_abi.h, little-endian), 64 bytes:
    // 0x00 u64 aio_data   0x08 u32 aio_key   0x0C u32 aio_rw_flags   0x10 u16 aio_lio_opcode   0x12 i16 aio_reqprio
    // 0x14 u32 aio_fildes   0x18 u64 aio_buf   0x20 u64 aio_nbytes   0x28 i64 aio_offset   0x30 u64 aio_reserved2
    // 0x38 u32 aio_flags   0x3C u32 aio_resfd
    private const int IocbSize = 64;

    // struct io_event, 32 bytes: 0x00 u64 data   0x08 u64 obj   0x10 i64 res   0x18 i64 res2
    private const int EventSize = 32;

    /// <summary>Pieces are whole multiples of this many bytes, which any direct-I/O alignment divides.</summary>
    private const int AlignedPieces = 4096;

    private const ushort CommandRead = 0;
    private const ushort CommandWrite = 1;

    private static readonly ObjectPool<SplitTransfer> Pool =
        new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 4 }.Create(new Policy());

    private static volatile bool _unavailable = Syscalls.Setup < 0;

    private readonly nuint _context;
    private readonly byte* _iocbs;
    private readonly byte** _list;
    private readonly byte* _events;

    private SplitTransfer(nuint context)
    {
        _context = context;
        _iocbs = (byte*)NativeMemory.AlignedAlloc((nuint)(MaxPieces * (IocbSize + sizeof(nint))) + (MaxPieces * EventSize), 64);
        _list = (byte**)(_iocbs + (MaxPieces * IocbSize));
        _events = (byte*)(_list + MaxPieces);
    }

    /// <summary>Whether a direct transfer of <paramref name="length"/> bytes is worth splitting.</summary>
    public static bool Worthwhile(int length) => !_unavailable && length >= 2 * PieceSize;

    /// <summary>
    /// Reads or writes <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="handle"/>
    /// in pieces at once. Returns the bytes moved from the start, all of them unless a piece came back short (the
    /// caller moves the rest the plain way), or -1 when no AIO context could be had and nothing was moved.
    /// </summary>
    /// <exception cref="IOException">A piece failed; the errno is the exception's HResult. Every piece had ended.</exception>
    public static long Run(SafeFileHandle handle, bool write, byte* buffer, long offset, int length)
    {
        SplitTransfer? transfer;
        try
        {
            transfer = Pool.Get();
        }
        catch (IOException)
        {
            // No context: the system's AIO limit is reached, or the kernel has none.
            return -1;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return transfer.Transfer((uint)handle.DangerousGetHandle(), write, buffer, offset, length);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }

            Pool.Return(transfer);
        }
    }

    public void Dispose()
    {
        Syscalls.Destroy(_context);
        NativeMemory.AlignedFree(_iocbs);
    }

    private long Transfer(uint fd, bool write, byte* buffer, long offset, int length)
    {
        int pieces = Math.Min(MaxPieces, length / PieceSize);
        int piece = (length / pieces) & ~(AlignedPieces - 1);
        for (int i = 0; i < pieces; i++)
        {
            int start = i * piece;
            int count = i == pieces - 1 ? length - start : piece;
            byte* iocb = _iocbs + (i * IocbSize);
            new Span<byte>(iocb, IocbSize).Clear();
            *(ulong*)iocb = (ulong)i;
            *(ushort*)(iocb + 0x10) = write ? CommandWrite : CommandRead;
            *(uint*)(iocb + 0x14) = fd;
            *(ulong*)(iocb + 0x18) = (ulong)(buffer + start);
            *(ulong*)(iocb + 0x20) = (ulong)count;
            *(long*)(iocb + 0x28) = offset + start;
            _list[i] = iocb;
        }

        int submitted = Submit(pieces);
        if (submitted == 0)
        {
            return -1;
        }

        // Every submitted piece is waited for before anything is thrown: the kernel holds the buffer until then.
        long moved = submitted == pieces ? length : (long)submitted * piece;
        int error = 0;
        for (int done = 0; done < submitted;)
        {
            int got = Syscalls.GetEvents(_context, submitted - done, MaxPieces, _events);
            if (got < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxNative.Eintr)
                {
                    continue;
                }

                // Waiting itself failed, which the kernel does not do for a valid context; the buffer cannot be
                // released while pieces may be in flight.
                Environment.FailFast($"io_getevents failed with errno {errno} while {submitted - done} pieces were in flight.");
            }

            for (int e = 0; e < got; e++)
            {
                byte* ev = _events + (e * EventSize);
                int index = (int)*(ulong*)ev;
                long result = *(long*)(ev + 0x10);
                int start = index * piece;
                int count = index == pieces - 1 ? length - start : piece;
                if (result < 0)
                {
                    error = error == 0 ? (int)-result : error;
                }
                else if (result < count)
                {
                    // A short piece: what follows it is moved again the plain way.
                    moved = Math.Min(moved, start + result);
                }
            }

            done += got;
        }

        if (error != 0)
        {
            throw new IOException($"{(write ? "Writing" : "Reading")} {length} bytes at offset {offset}: {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).", error);
        }

        return moved;
    }

    private int Submit(int pieces)
    {
        int submitted = 0;
        while (submitted < pieces)
        {
            int got = Syscalls.Submit(_context, pieces - submitted, _list + submitted);
            if (got > 0)
            {
                submitted += got;
                continue;
            }

            int errno = got < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno == LinuxNative.Eintr)
            {
                continue;
            }

            // Refused (EAGAIN when the kernel is short of room): the pieces not taken move the plain way.
            break;
        }

        return submitted;
    }

    private sealed class Policy : IPooledObjectPolicy<SplitTransfer>
    {
        public SplitTransfer Create()
        {
            nuint context = 0;
            if (Syscalls.SetupContext(MaxPieces, &context) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxNative.Enosys)
                {
                    // ENOSYS: this kernel has no AIO; stop asking.
                    _unavailable = true;
                }

                throw LinuxNative.ErrnoException(errno, "io_setup");
            }

            return new SplitTransfer(context);
        }

        public bool Return(SplitTransfer obj) => true;
    }

    /// <summary>The AIO system calls, which glibc does not wrap, by number for the two architectures .NET runs on Linux.</summary>
    private static class Syscalls
    {
        public static readonly long Setup = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 206,
            Architecture.Arm64 => 0,
            _ => -1,
        };

        private static readonly long DestroyNumber = Setup == 206 ? 207 : 1;
        private static readonly long SubmitNumber = Setup == 206 ? 209 : 2;
        private static readonly long GetEventsNumber = Setup == 206 ? 208 : 4;

        public static int SetupContext(int events, nuint* context) => (int)Call(Setup, events, (nint)context, 0, 0, 0);

        public static void Destroy(nuint context) => Call(DestroyNumber, (nint)context, 0, 0, 0, 0);

        public static int Submit(nuint context, int count, byte** iocbs) => (int)Call(SubmitNumber, (nint)context, count, (nint)iocbs, 0, 0);

        public static int GetEvents(nuint context, int min, int max, byte* events) => (int)Call(GetEventsNumber, (nint)context, min, max, (nint)events, 0);

        private static nint Call(long number, nint a, nint b, nint c, nint d, nint e) => LinuxNative.Syscall(number, a, b, c, d, e);
    }
}
