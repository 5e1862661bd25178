using Microsoft.Win32.SafeHandles;
using VexFs.BlockDevices.Linux;

namespace VexFs.BlockDevices;

/// <summary>
/// A device stored in a regular file: sparse when created, optionally O_DIRECT, flushed with fdatasync,
/// discarded by punching holes.
/// </summary>
public sealed class ImageFileDevice : BlockDevice
{
    private const int LockAttempts = 10;
    private const int LockRetryMilliseconds = 10;

    private readonly PositionalFile _file;
    private readonly bool _ownsHandle;
    private readonly bool _locked;
    private readonly int _sectorSize;
    private readonly long _length;
    private readonly bool _readOnly;
    private readonly string _path;
    private bool _punchHoleUnsupported;

    private ImageFileDevice(SafeFileHandle handle, string path, ImageFileOptions options, bool ownsHandle, bool locked = false)
    {
        _ownsHandle = ownsHandle;
        _locked = locked;
        _readOnly = options.ReadOnly;
        _path = path;
        int sectorSize = SectorSizes.Validate(options.SectorSize, nameof(options));
        var status = FileStatus.Of(handle, path);
        if (!status.IsRegularFile)
        {
            throw new ArgumentException($"'{path}' is not a regular file; open block devices with {nameof(LinuxBlockDevice)}.", nameof(path));
        }

        if (options.DirectIO)
        {
            int required = status.HasDioAlignment ? status.DioOffsetAlignment : 4096;
            sectorSize = Math.Max(sectorSize, required);
            if (!SectorSizes.IsValid(sectorSize))
            {
                throw new IOException($"'{path}' needs {required}-byte alignment for direct I/O, which no supported sector size gives.");
            }
        }

        _sectorSize = sectorSize;
        _length = status.Size - (status.Size % sectorSize);
        _file = new PositionalFile(handle, options.DirectIO, Description);
    }

    /// <summary>The path of the image file.</summary>
    public string Path => _path;

    /// <summary>Whether requests bypass the page cache.</summary>
    public bool IsDirect => _file.IsDirect;

    /// <inheritdoc />
    public override int SectorSize => _sectorSize;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override bool IsReadOnly => _readOnly;

    /// <inheritdoc />
    public override string Description => $"image file '{_path}'";

    /// <summary>
    /// Creates a new sparse image of <paramref name="length"/> bytes: no data blocks are written, so an image
    /// of any size the host filesystem allows is made in an instant.
    /// </summary>
    /// <param name="path">Where to create the image.</param>
    /// <param name="length">The length in bytes, a multiple of the sector size.</param>
    /// <param name="options">How to open it; <see cref="ImageFileOptions.Default"/> when null.</param>
    /// <param name="overwrite">Replace an existing file instead of refusing with <see cref="IOException"/>.</param>
    public static ImageFileDevice Create(string path, long length, ImageFileOptions? options = null, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= ImageFileOptions.Default;
        if (options.ReadOnly)
        {
            throw new ArgumentException("A new image cannot be created read-only.", nameof(options));
        }

        SectorSizes.ValidateLength(length, SectorSizes.Validate(options.SectorSize, nameof(options)), nameof(length));
        string full = System.IO.Path.GetFullPath(path);
        int flags = LinuxNative.ORdWr | LinuxNative.OCreat | (overwrite ? 0 : LinuxNative.OExcl) | (options.DirectIO ? LinuxNative.ODirect : 0);
        var handle = LinuxNative.OpenHandle(full, flags, Convert.ToInt32("644", 8), "image file");
        try
        {
            LockOrThrow(handle, full, options);
            int result = LinuxNative.Ftruncate(handle, length);
            if (result < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                throw errno == LinuxNative.Efbig
                    ? new IOException($"The filesystem holding '{full}' cannot hold a file of {length} bytes (EFBIG).", errno)
                    : LinuxNative.ErrnoException(errno, $"Cannot size image file '{full}' to {length} bytes");
            }

            LinuxNative.Check(LinuxNative.Fsync(handle), $"Cannot sync image file '{full}'");
            SyncDirectory(full);
            return new ImageFileDevice(handle, full, options, ownsHandle: true, locked: options.Lock);
        }
        catch
        {
            LinuxNative.Flock(handle, LinuxNative.LockUn);
            handle.Dispose();
            if (!overwrite)
            {
                File.Delete(full);
            }

            throw;
        }
    }

    /// <summary>Opens an existing image file.</summary>
    public static ImageFileDevice Open(string path, ImageFileOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= ImageFileOptions.Default;
        string full = System.IO.Path.GetFullPath(path);
        int flags = (options.ReadOnly ? LinuxNative.ORdOnly : LinuxNative.ORdWr) | (options.DirectIO ? LinuxNative.ODirect : 0);
        var handle = LinuxNative.OpenHandle(full, flags, 0, "image file");
        try
        {
            LockOrThrow(handle, full, options);
            return new ImageFileDevice(handle, full, options, ownsHandle: true, locked: options.Lock);
        }
        catch
        {
            LinuxNative.Flock(handle, LinuxNative.LockUn);
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Wraps a handle that is already open. The handle must have been opened with the access and O_DIRECT mode
    /// that <paramref name="options"/> describes; no lock is taken.
    /// </summary>
    /// <param name="handle">An open handle on a regular file.</param>
    /// <param name="options">The mode the handle was opened with.</param>
    /// <param name="leaveOpen">Leave the handle open when the device is disposed.</param>
    public static ImageFileDevice FromHandle(SafeFileHandle handle, ImageFileOptions options, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(options);
        if (handle.IsInvalid || handle.IsClosed)
        {
            throw new ArgumentException("The handle is closed or invalid.", nameof(handle));
        }

        return new ImageFileDevice(handle, $"fd {handle.DangerousGetHandle()}", options, ownsHandle: !leaveOpen);
    }

    /// <inheritdoc />
    protected override void ReadCore(long offset, Span<byte> buffer) => _file.Read(offset, buffer);

    /// <inheritdoc />
    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer) => _file.Write(offset, buffer);

    /// <inheritdoc />
    protected override ValueTask ReadCoreAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _file.ReadAsync(offset, buffer, cancellationToken);

    /// <inheritdoc />
    protected override ValueTask WriteCoreAsync(long offset, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        _file.WriteAsync(offset, buffer, cancellationToken);

    /// <inheritdoc />
    protected override void FlushCore() =>
        LinuxNative.Check(LinuxNative.Fdatasync(_file.Handle), $"Cannot flush {Description}");

    /// <inheritdoc />
    protected override ValueTask FlushCoreAsync(CancellationToken cancellationToken) =>
        new(Task.Run(FlushCore, cancellationToken));

    /// <inheritdoc />
    protected override void DiscardCore(long offset, long length)
    {
        if (Volatile.Read(ref _punchHoleUnsupported))
        {
            return;
        }

        int result = LinuxNative.Fallocate(_file.Handle, LinuxNative.FallocPunchHole | LinuxNative.FallocKeepSize, offset, length);
        if (result < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != LinuxNative.Eopnotsupp)
            {
                throw LinuxNative.ErrnoException(errno, $"Cannot discard {length} bytes at offset {offset} of {Description}");
            }

            // Discarding is advisory: a host filesystem without punch-hole simply keeps the old data.
            Volatile.Write(ref _punchHoleUnsupported, true);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsHandle)
        {
            // The lock belongs to the open file description, which a child process forked by another thread
            // shares until it reaches exec; closing our descriptor alone would leave the lock held that long.
            if (_locked)
            {
                LinuxNative.Flock(_file.Handle, LinuxNative.LockUn);
            }

            _file.Handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void LockOrThrow(SafeFileHandle handle, string path, ImageFileOptions options)
    {
        if (!options.Lock)
        {
            return;
        }

        // A lock can linger for an instant after its holder closed the file, while a child process forked
        // from the holder has not yet reached exec; a few short retries tell that from a real second opener.
        int operation = (options.ReadOnly ? LinuxNative.LockSh : LinuxNative.LockEx) | LinuxNative.LockNb;
        for (int attempt = 0; LinuxNative.Flock(handle, operation) < 0; attempt++)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == LinuxNative.Eagain && attempt < LockAttempts)
            {
                Thread.Sleep(LockRetryMilliseconds);
                continue;
            }

            throw errno == LinuxNative.Eagain
                ? new DeviceBusyException($"Image file '{path}' is in use by another opener.")
                : LinuxNative.ErrnoException(errno, $"Cannot lock image file '{path}'");
        }
    }

    private static void SyncDirectory(string path)
    {
        string? directory = System.IO.Path.GetDirectoryName(path);
        if (directory is null)
        {
            return;
        }

        using var handle = LinuxNative.OpenHandle(directory, LinuxNative.ORdOnly, 0, "directory");
        LinuxNative.Check(LinuxNative.Fsync(handle), $"Cannot sync directory '{directory}'");
    }
}
