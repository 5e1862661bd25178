using VexFs.BlockDevices;

namespace VexFs.Format;

/// <summary>The kind of a refusal, whatever exception type carries it.</summary>
public static class VexErrors
{
    private const string KindKey = "VexFs.ErrorKind";

    /// <summary>
    /// Why <paramref name="exception"/> refused an operation, or null when it is no refusal: damaged metadata
    /// (<see cref="InvalidFileSystemException"/>), an error the device reported, or a disposed instance.
    /// </summary>
    public static VexErrorKind? KindOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            VexFsException refusal => refusal.Kind,
            _ when exception.Data[KindKey] is VexErrorKind kind => kind,
            DiskFullException => VexErrorKind.NoSpace,
            FileNotFoundException or DirectoryNotFoundException => VexErrorKind.NotFound,
            KeyNotFoundException => VexErrorKind.NoData,
            ArgumentException => VexErrorKind.InvalidArgument,
            _ => null,
        };
    }

    /// <summary>Marks a BCL exception with the kind of refusal it carries.</summary>
    internal static T With<T>(this T exception, VexErrorKind kind)
        where T : Exception
    {
        exception.Data[KindKey] = kind;
        return exception;
    }
}
