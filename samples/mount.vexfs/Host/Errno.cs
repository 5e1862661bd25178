using VexFs.Format;

namespace MountVexfs.Host;

/// <summary>
/// The errno a FUSE reply carries for each exception: every refusal by its <see cref="VexErrorKind"/>, in one
/// table; a device failure or damaged metadata is EIO (the instance has latched read-only, so later changes are
/// refused as EROFS).
/// </summary>
internal static class Errno
{
    public const int Eperm = 1;
    public const int Enoent = 2;
    public const int Eio = 5;
    public const int Enxio = 6;
    public const int Ebadf = 9;
    public const int Ebusy = 16;
    public const int Eexist = 17;
    public const int Enotdir = 20;
    public const int Eisdir = 21;
    public const int Einval = 22;
    public const int Enotty = 25;
    public const int Efbig = 27;
    public const int Enospc = 28;
    public const int Erofs = 30;
    public const int Erange = 34;
    public const int Enametoolong = 36;
    public const int Enosys = 38;
    public const int Enotempty = 39;
    public const int Eproto = 71;
    public const int Enodata = 61;
    public const int Eopnotsupp = 95;

    /// <summary>The errno of each kind of refusal.</summary>
    public static int Of(VexErrorKind kind) => kind switch
    {
        VexErrorKind.NotFound => Enoent,
        VexErrorKind.AlreadyExists => Eexist,
        VexErrorKind.NotEmpty => Enotempty,
        VexErrorKind.NotADirectory => Enotdir,
        VexErrorKind.IsADirectory => Eisdir,
        VexErrorKind.InvalidKind => Einval,
        VexErrorKind.NameTooLong => Enametoolong,
        VexErrorKind.InvalidArgument => Einval,
        VexErrorKind.ReadOnly => Erofs,
        VexErrorKind.NotPermitted => Eperm,
        VexErrorKind.Busy => Ebusy,
        VexErrorKind.FileTooLarge => Efbig,
        VexErrorKind.NoSpace => Enospc,
        VexErrorKind.NoData => Enodata,
        VexErrorKind.Range => Erange,
        VexErrorKind.BadHandle => Ebadf,
        _ => Eio,
    };

    /// <summary>
    /// The errno for <paramref name="exception"/>: its kind's, or EIO for a failure (damaged metadata, an error
    /// the device reported, a filesystem already closed). Says whether it was a refusal.
    /// </summary>
    public static int Of(Exception exception, out bool refusal)
    {
        if (VexErrors.KindOf(exception) is { } kind)
        {
            refusal = true;
            return Of(kind);
        }

        refusal = false;
        return Eio;
    }
}
