namespace VexFs.BlockDevices;

/// <summary>There is no space left for a write (ENOSPC): on the device, or in the filesystem above it.</summary>
public class DiskFullException : IOException
{
    /// <summary>The errno value for "no space left on device".</summary>
    internal const int Enospc = 28;

    /// <summary>Creates the exception with a message.</summary>
    public DiskFullException(string message)
        : base(message, Enospc)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public DiskFullException()
        : this("No space left on device.")
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public DiskFullException(string message, Exception innerException)
        : base(message, innerException)
    {
        HResult = Enospc;
    }
}
