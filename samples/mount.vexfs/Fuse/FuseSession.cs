using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.ObjectPool;
using MountVexfs.Host;

namespace MountVexfs.Fuse;

/// <summary>
/// One mounted connection: negotiates INIT, then several workers read requests from the device and serve them
/// in parallel, until the kernel unmounts the filesystem (DESTROY, or the device reports it gone) or
/// <see cref="Stop"/> is called.
/// </summary>
internal sealed class FuseSession
{
    /// <summary>The protocol this host speaks: 7.38 (linux/fuse.h), or the kernel's minor when that is lower.</summary>
    public const uint Major = 7;
    public const uint Minor = 38;

    /// <summary>The oldest minor served: 7.28 brought copy_file_range and max_pages; lseek, rename2 and readdirplus are older.</summary>
    public const uint OldestMinor = 28;

    /// <summary>The largest write (and read) the kernel is offered.</summary>
    public const int MaxWrite = 1 << 20;

    /// <summary>The largest request: a write of <see cref="MaxWrite"/> bytes with its headers.</summary>
    public const int MaxRequest = MaxWrite + 4096;

    // INIT flags (fuse_init_in.flags, fuse_init_out.flags) this host asks for; the kernel grants those it has.
    private const uint AsyncRead = 1 << 0;
    private const uint BigWrites = 1 << 5;
    private const uint DoReaddirplus = 1 << 13;
    private const uint ReaddirplusAuto = 1 << 14;
    private const uint AsyncDio = 1 << 15;
    private const uint WritebackCache = 1 << 16;
    private const uint ParallelDirops = 1 << 18;
    private const uint MaxPages = 1 << 22;
    private const uint CacheSymlinks = 1 << 23;
    private const uint HandleKillprivV2 = 1 << 28;

    private readonly FuseDevice _device;
    private readonly VexFuseOperations _operations;
    private readonly int _workers;
    private readonly bool _writeback;
    private readonly TextWriter? _log;
    private readonly ObjectPool<Reply> _replies;
    private readonly Action<Reply> _sendEarly;
    private volatile bool _stopping;
    private FuseRequest? _destroy;
    private IOException? _failure;

    public FuseSession(FuseDevice device, VexFuseOperations operations, int workers, bool writeback, TextWriter? log)
    {
        _device = device;
        _writeback = writeback;
        _operations = operations;
        _workers = workers;
        _log = log;
        // The provider's pool of a disposable type disposes the replies it holds when it is disposed itself.
        _replies = new DefaultObjectPoolProvider { MaximumRetained = workers * 2 }.Create<Reply>();
        _sendEarly = SendEarly;
    }

    /// <summary>Called once INIT has been answered, before any other request is served.</summary>
    public Action? Initialized { get; init; }

    /// <summary>Serves requests until the filesystem is unmounted or <see cref="Stop"/> is called.</summary>
    /// <exception cref="IOException">The kernel speaks a protocol older than 7.<see cref="OldestMinor"/>, or the device failed.</exception>
    public void Run()
    {
        var buffers = new RequestBuffer[_workers];
        try
        {
            if (!Initialize())
            {
                return;
            }

            var workers = new Thread[_workers];
            for (int i = 0; i < workers.Length; i++)
            {
                var buffer = buffers[i] = new RequestBuffer(_device);
                workers[i] = new Thread(() => Work(buffer)) { IsBackground = true, Name = $"fuse-worker-{i}" };
                workers[i].Start();
            }

            foreach (var worker in workers)
            {
                worker.Join();
            }

            if (_destroy is { } destroy)
            {
                // Answered once every request before it has been.
                Serve(destroy);
            }
        }
        finally
        {
            // Every request has been served: the buffers they were read into, and the replies, go.
            foreach (var buffer in buffers)
            {
                buffer?.Dispose();
            }

            (_replies as IDisposable)?.Dispose();
        }

        if (_failure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Tells the kernel to forget the attributes it caches for <paramref name="node"/> (FUSE_NOTIFY_INVAL_INODE
    /// with offset -1: the attributes only, not the page cache), from any thread.
    /// </summary>
    public void InvalidateAttributes(ulong node)
    {
        // fuse_out_header: 0x00 u32 len   0x04 i32 error (the notification code)   0x08 u64 unique (0)
        // fuse_notify_inval_inode_out: 0x10 u64 ino   0x18 i64 off   0x20 i64 len
        const int NotifyInvalInode = 2;
        Span<byte> message = stackalloc byte[40];
        message.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteInt32LittleEndian(message[0x04..], NotifyInvalInode);
        BinaryPrimitives.WriteUInt64LittleEndian(message[0x10..], node);
        BinaryPrimitives.WriteInt64LittleEndian(message[0x18..], -1);
        _device.Write(message);
    }

    /// <summary>Ends <see cref="Run"/> from any thread: no more requests are read; those taken are answered.</summary>
    public void Stop() => _device.Wake();

    /// <summary>Answers INIT; false when the device closed before it came.</summary>
    private bool Initialize()
    {
        using var buffer = new RequestBuffer(_device);
        while (buffer.ReadNext() is { } request)
        {
            var reply = _replies.Get();
            try
            {
                if (request.Opcode != Opcode.Init)
                {
                    // Nothing but INIT is valid before INIT.
                    _device.Write(reply.Seal(request.Unique, Errno.Eio));
                    continue;
                }

                var (errno, done, kernel) = Negotiate(request.Arguments, reply, _writeback);
                _device.Write(reply.Seal(request.Unique, errno));
                if (errno != 0)
                {
                    throw new IOException($"the kernel speaks FUSE {kernel}; mount.vexfs needs {Major}.{OldestMinor} or later");
                }

                _log?.WriteLine($"INIT: kernel {kernel}, mount.vexfs {Major}.{Minor}");

                if (done)
                {
                    Initialized?.Invoke();
                    return true;
                }
            }
            finally
            {
                _replies.Return(reply);
            }
        }

        return false;
    }

    /// <summary>
    /// The answer to INIT (fuse_init_in → fuse_init_out): the lower of the two minors, the flags both sides
    /// have (the writeback cache only when <paramref name="writeback"/> asks for it), 1 MiB writes. A kernel of
    /// a later major is answered with ours alone and sends INIT again.
    /// </summary>
    internal static (int Errno, bool Done, string Kernel) Negotiate(ReadOnlySpan<byte> arguments, Reply reply, bool writeback)
    {
        // fuse_init_in: 0x00 u32 major   0x04 u32 minor   0x08 u32 max_readahead   0x0C u32 flags   0x10 u32 flags2
        var reader = new ArgumentReader(arguments);
        uint major = reader.U32();
        uint minor = reader.U32();
        string kernel = string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}");
        if (major > Major)
        {
            reply.AppendU32(Major);
            reply.AppendU32(Minor);
            return (0, false, kernel);
        }

        if (major < Major || minor < OldestMinor)
        {
            return (Errno.Eproto, false, kernel);
        }

        uint readahead = reader.U32();
        uint offered = reader.U32();
        // HANDLE_KILLPRIV_V2: this host drops set-user-id, set-group-id and file capabilities on write, truncate
        // and open with O_TRUNC, so the kernel stops asking for security.capability before every write.
        uint wanted = AsyncRead | BigWrites | DoReaddirplus | ReaddirplusAuto | AsyncDio | ParallelDirops | MaxPages | CacheSymlinks
            | HandleKillprivV2 | (writeback ? WritebackCache : 0);

        // fuse_init_out: 0x00 u32 major   0x04 u32 minor   0x08 u32 max_readahead   0x0C u32 flags
        // 0x10 u16 max_background   0x12 u16 congestion_threshold   0x14 u32 max_write   0x18 u32 time_gran
        // 0x1C u16 max_pages   0x1E u16 map_alignment   0x20 u32 flags2   0x24 u32 max_stack_depth, u32 unused[6]
        var answer = reply.Append(64);
        BinaryPrimitives.WriteUInt32LittleEndian(answer, Major);
        BinaryPrimitives.WriteUInt32LittleEndian(answer[0x04..], Math.Min(minor, Minor));
        BinaryPrimitives.WriteUInt32LittleEndian(answer[0x08..], readahead);
        BinaryPrimitives.WriteUInt32LittleEndian(answer[0x0C..], offered & wanted);
        BinaryPrimitives.WriteUInt16LittleEndian(answer[0x10..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(answer[0x12..], 48);
        BinaryPrimitives.WriteUInt32LittleEndian(answer[0x14..], MaxWrite);
        // Timestamps are kept to 100 ns.
        BinaryPrimitives.WriteUInt32LittleEndian(answer[0x18..], 100);
        BinaryPrimitives.WriteUInt16LittleEndian(answer[0x1C..], (ushort)(MaxWrite / Environment.SystemPageSize));
        return (0, true, kernel);
    }

    /// <summary>
    /// A worker's loop: it waits for the next request on the device (one waiting worker is woken per request), reads
    /// it into its own buffer and serves it itself, so no request changes threads between the device and its
    /// reply, and no worker hands the device on to another.
    /// </summary>
    private void Work(RequestBuffer buffer)
    {
        while (!_stopping)
        {
            FuseRequest? request;
            try
            {
                request = buffer.ReadNext();
            }
            catch (IOException e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                request = null;
            }

            if (request is null || request.Opcode == Opcode.Destroy)
            {
                // Unmounted, stopped, failed, or DESTROY, which Run answers once the others are done; this worker
                // leaves with its buffer, so the request stays intact. The others are woken to leave too.
                if (request is not null)
                {
                    _destroy = request;
                }

                _stopping = true;
                _device.Wake();
                return;
            }

            Serve(request);
        }
    }

    /// <summary>Sends an answer while its handler goes on (<see cref="Reply.SendNow"/>); a refusal is logged, not thrown.</summary>
    private void SendEarly(Reply reply)
    {
        try
        {
            _device.Write(reply.Seal(reply.Unique, 0));
        }
        catch (IOException e)
        {
            (_log ?? Console.Error).WriteLine($"unique {reply.Unique}: the reply was refused: {e.Message}");
        }
    }

    private void Serve(FuseRequest request)
    {
        var reply = _replies.Get();
        reply.Begin(request.Unique, _sendEarly);
        try
        {
            int errno;
            try
            {
                errno = _operations.Handle(request, reply);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                errno = Errno.Of(e, out bool refusal);
                if (!refusal || _log is not null)
                {
                    (_log ?? Console.Error).WriteLine($"{request.Opcode} node {request.NodeId}: errno {errno}: {e.GetType().Name}: {e.Message}");
                }
            }

            if (reply.Sent)
            {
                if (errno != 0)
                {
                    (_log ?? Console.Error).WriteLine($"{request.Opcode} node {request.NodeId} unique {request.Unique}: errno {errno} after its answer");
                }
                else
                {
                    _log?.WriteLine($"{request.Opcode} node {request.NodeId} unique {request.Unique}: {reply.Length} bytes, answered before the handler ended");
                }
            }
            else if (errno != VexFuseOperations.NoReply)
            {
                _log?.WriteLine($"{request.Opcode} node {request.NodeId} unique {request.Unique}: {(errno == 0 ? $"{reply.Length} bytes" : $"errno {errno}")}");
                _device.Write(reply.Seal(request.Unique, errno));
            }
        }
        catch (IOException e)
        {
            // The kernel refused the reply: this request fails on its side, the others go on.
            (_log ?? Console.Error).WriteLine($"{request.Opcode} node {request.NodeId}: the reply was refused: {e.Message}");
        }
        finally
        {
            _replies.Return(reply);
        }
    }
}
