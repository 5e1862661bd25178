using VexFs.BlockDevices;

namespace VexFs.Format;

/// <summary>
/// The filesystem itself has no free block or inode left: a refusal, with nothing changed. A device that
/// reports ENOSPC throws a plain <see cref="DiskFullException"/> instead, which is a device failure (the
/// instance latches read-only, since the write it refused may have left the device half-written).
/// </summary>
public sealed class FileSystemFullException : DiskFullException
{
    /// <summary>Creates the exception with a message.</summary>
    public FileSystemFullException(string message)
        : base(message)
    {
    }
}
