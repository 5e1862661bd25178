namespace VexFs.BlockDevices.Linux;

/// <summary>Permission denied, or a read-only medium (EACCES, EROFS), as an <see cref="IOException"/>.</summary>
internal sealed class UnauthorizedIOException(string message, int errno) : IOException(message, errno);
