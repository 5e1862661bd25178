using VexFs.BlockDevices.Linux;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// The error values a server may send (a subset of Linux errno numbers) and the exception each one becomes.
/// </summary>
internal static class NbdErrors
{
    public const uint Eperm = 1;
    public const uint Eio = 5;
    public const uint Enomem = 12;
    public const uint Einval = 22;
    public const uint Enospc = 28;
    public const uint Eoverflow = 75;
    public const uint Enotsup = 95;
    public const uint Eshutdown = 108;

    /// <summary>The symbolic name of an NBD error and what it means.</summary>
    public static string Name(uint errno) => errno switch
    {
        Eperm => "EPERM (operation not permitted)",
        Eio => "EIO (input/output error)",
        Enomem => "ENOMEM (out of memory)",
        Einval => "EINVAL (invalid argument)",
        Enospc => "ENOSPC (no space left on device)",
        Eoverflow => "EOVERFLOW (value too large)",
        Enotsup => "ENOTSUP (operation not supported)",
        Eshutdown => "ESHUTDOWN (server is shutting down)",
        _ => $"error {errno}",
    };

    /// <summary>
    /// The exception for a broken connection (the server gone, the network down, the protocol broken): EIO as its
    /// HResult, as the kernel's NBD driver fails such requests, so that a caller that maps errors to errno (the
    /// mount) reports EIO. The layers above treat it as a device failure by its type, as any IOException that
    /// carries no refusal kind.
    /// </summary>
    public static IOException ConnectionFailure(string message, Exception? cause = null) =>
        new(message, cause) { HResult = (int)Eio };

    /// <summary>
    /// The exception for a request the server failed: ENOSPC is <see cref="DiskFullException"/>, EPERM a refusal
    /// of a read-only export, everything else an <see cref="IOException"/> whose HResult is the errno.
    /// </summary>
    /// <param name="errno">The error value from the reply.</param>
    /// <param name="request">What was asked, such as "NBD_CMD_WRITE of 4096 bytes at offset 0 of ...".</param>
    /// <param name="serverMessage">The server's own text from an error chunk, or null.</param>
    public static IOException ToException(uint errno, string request, string? serverMessage)
    {
        string detail = string.IsNullOrEmpty(serverMessage) ? string.Empty : $": {serverMessage}";
        string message = $"The NBD server failed {request} with {Name(errno)}{detail}.";
        return errno switch
        {
            Enospc => new DiskFullException(message),
            Eperm => new UnauthorizedIOException(message + " The export refuses writes (it is read-only).", (int)errno),
            _ => new IOException(message, (int)errno),
        };
    }
}
