using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using VexFs.BlockDevices.Linux;

namespace VexFs.BlockDevices;

/// <summary>
/// A Linux block device such as <c>/dev/nvme0n1p2</c> or <c>/dev/loop0</c>: opened exclusively, sized and
/// discarded with the kernel's block ioctls, read and written with O_DIRECT, flushed with fsync.
/// </summary>
/// <remarks>A device that is mounted, used as swap or claimed by another exclusive opener is refused with
/// <see cref="DeviceBusyException"/>.</remarks>
public sealed class LinuxBlockDevice : BlockDevice
{
    private readonly PositionalFile _file;
    private readonly int _sectorSize;
    private readonly long _length;
    private readonly bool _readOnly;
    private readonly string _path;
    private bool _discardUnsupported;

    private LinuxBlockDevice(SafeFileHandle handle, string path, bool readOnly, bool direct)
    {
        _path = path;
        _readOnly = readOnly;
        _sectorSize = QueryInt(handle, LinuxNative.BlkSszGet, "logical sector size");
        PhysicalSectorSize = QueryInt(handle, LinuxNative.BlkPbszGet, "physical sector size");
        long length = QueryLong(handle, LinuxNative.BlkGetSize64, "size");
        if (!SectorSizes.IsValid(_sectorSize))
        {
            throw new IOException($"Block device '{path}' reports an unsupported logical sector size of {_sectorSize} bytes.");
        }

        _length = length - (length % _sectorSize);
        _file = new PositionalFile(handle, direct, Description);
    }

    /// <summary>The device node's path.</summary>
    public string Path => _path;

    /// <summary>The physical sector size: the unit the device writes atomically at best.</summary>
    public int PhysicalSectorSize { get; }

    /// <summary>Whether requests bypass the page cache.</summary>
    public bool IsDirect => _file.IsDirect;

    /// <inheritdoc />
    public override int SectorSize => _sectorSize;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override bool IsReadOnly => _readOnly;

    /// <inheritdoc />
    public override string Description => $"block device '{_path}'";

    /// <summary>Opens a block device node.</summary>
    /// <exception cref="DeviceBusyException">The device is mounted, used as swap, or held exclusively.</exception>
    /// <exception cref="ArgumentException">The path is not a block device.</exception>
    public static LinuxBlockDevice Open(string path, RawDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= RawDeviceOptions.Default;
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Raw block devices are supported on Linux only.");
        }

        string full = System.IO.Path.GetFullPath(path);
        string resolved = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        var status = FileStatus.Of(resolved);
        if (!status.IsBlockDevice)
        {
            throw new ArgumentException($"'{path}' is not a block device; open image files with {nameof(ImageFileDevice)}.", nameof(path));
        }

        bool exclusive = options.Exclusive || !options.ReadOnly;
        if (!options.ReadOnly || !options.AllowMountedReadOnly)
        {
            string? use = MountTable.FindUse(resolved, status.RdevMajor, status.RdevMinor);
            if (use is not null)
            {
                throw new DeviceBusyException($"Block device '{path}' is {use}; refusing to open it{(options.ReadOnly ? string.Empty : " for writing")}.");
            }
        }
        else
        {
            exclusive = false;
        }

        int flags = (options.ReadOnly ? LinuxNative.ORdOnly : LinuxNative.ORdWr)
            | (exclusive ? LinuxNative.OExcl : 0)
            | (options.DirectIO ? LinuxNative.ODirect : 0);
        SafeFileHandle handle;
        try
        {
            handle = LinuxNative.OpenHandle(resolved, flags, 0, "block device");
        }
        catch (DeviceBusyException e)
        {
            throw new DeviceBusyException($"Block device '{path}' is busy: it is mounted, part of a mapped device, or open exclusively elsewhere.", e);
        }

        try
        {
            if (!options.ReadOnly && QueryInt(handle, LinuxNative.BlkRoGet, "read-only flag") != 0)
            {
                throw new UnauthorizedAccessException($"Block device '{path}' is read-only; open it with {nameof(RawDeviceOptions.ReadOnly)}.");
            }

            return new LinuxBlockDevice(handle, path, options.ReadOnly, options.DirectIO);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
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
        LinuxNative.Check(LinuxNative.Fsync(_file.Handle), $"Cannot flush {Description}");

    /// <inheritdoc />
    protected override ValueTask FlushCoreAsync(CancellationToken cancellationToken) =>
        new(Task.Run(FlushCore, cancellationToken));

    /// <inheritdoc />
    protected override unsafe void DiscardCore(long offset, long length)
    {
        if (Volatile.Read(ref _discardUnsupported))
        {
            return;
        }

        ulong* range = stackalloc ulong[2];
        range[0] = (ulong)offset;
        range[1] = (ulong)length;
        if (LinuxNative.Ioctl(_file.Handle, LinuxNative.BlkDiscard, range) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (LinuxNative.Eopnotsupp or LinuxNative.Enotty))
            {
                throw LinuxNative.ErrnoException(errno, $"Cannot discard {length} bytes at offset {offset} of {Description}");
            }

            // Discarding is advisory: a device without TRIM simply keeps the old data.
            Volatile.Write(ref _discardUnsupported, true);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private static unsafe int QueryInt(SafeFileHandle handle, ulong request, string what)
    {
        int value = 0;
        LinuxNative.Check(LinuxNative.Ioctl(handle, request, &value), $"Cannot read the {what} of a block device");
        return value;
    }

    private static unsafe long QueryLong(SafeFileHandle handle, ulong request, string what)
    {
        long value = 0;
        LinuxNative.Check(LinuxNative.Ioctl(handle, request, &value), $"Cannot read the {what} of a block device");
        return value;
    }
}
