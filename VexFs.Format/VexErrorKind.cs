namespace VexFs.Format;

/// <summary>
/// Why the filesystem refused an operation, as <c>std::io::ErrorKind</c> says it for Rust: one kind per errno a
/// FUSE host returns for it (shown in brackets). Obtained from any exception with <see cref="VexErrors.KindOf"/>.
/// </summary>
/// <remarks>
/// A refusal changes nothing. Damaged metadata (<see cref="InvalidFileSystemException"/>) and errors the
/// device reports are failures, not refusals: they have no kind, and they latch the instance read-only.
/// </remarks>
public enum VexErrorKind
{
    /// <summary>A name, path or inode does not exist, or the inode is not in use (ENOENT).</summary>
    NotFound = 1,

    /// <summary>The name exists already, or the attribute does with <c>XattrMode.Create</c> (EEXIST).</summary>
    AlreadyExists,

    /// <summary>The directory to remove or replace is not empty (ENOTEMPTY).</summary>
    NotEmpty,

    /// <summary>A directory was expected: a component of a path, or the inode a directory call was given (ENOTDIR).</summary>
    NotADirectory,

    /// <summary>The operation needs a non-directory and was given a directory (EISDIR).</summary>
    IsADirectory,

    /// <summary>The call needs another kind of inode: a regular file for data, a symbolic link for its target (EINVAL).</summary>
    InvalidKind,

    /// <summary>A name is longer than 255 bytes of UTF-8, or a symbolic link target longer than 4,095 (ENAMETOOLONG).</summary>
    NameTooLong,

    /// <summary>An argument has no meaning here: an empty or reserved name, '/' or NUL in a name, invalid UTF-16, a negative offset or length, a directory moved below itself (EINVAL).</summary>
    InvalidArgument,

    /// <summary>The filesystem is open read-only (EROFS).</summary>
    ReadOnly,

    /// <summary>The operation is not permitted on this inode, such as a hard link to a directory (EPERM).</summary>
    NotPermitted,

    /// <summary>The file is opened by another stream whose sharing refuses this one (EBUSY).</summary>
    Busy,

    /// <summary>A file would grow past <c>VexFileSystem.MaxFileSize</c>, or a position lies beyond it (EFBIG).</summary>
    FileTooLarge,

    /// <summary>No blocks, inodes, attribute room, directory index room or journal room left (ENOSPC).</summary>
    NoSpace,

    /// <summary>The file has no such extended attribute (ENODATA).</summary>
    NoData,

    /// <summary>An attribute name or value is longer than the format stores (ERANGE).</summary>
    Range,

    /// <summary>A stream was used for what it was not opened for: reading a write-only one, writing a read-only one (EBADF).</summary>
    BadHandle,
}
