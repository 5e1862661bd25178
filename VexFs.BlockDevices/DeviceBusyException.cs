namespace VexFs.BlockDevices;

/// <summary>A device or image is mounted or held open exclusively by someone else (EBUSY).</summary>
public class DeviceBusyException : IOException
{
    /// <summary>The errno value for "device or resource busy".</summary>
    internal const int Ebusy = 16;

    /// <summary>Creates the exception with a message.</summary>
    public DeviceBusyException(string message)
        : base(message, Ebusy)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public DeviceBusyException()
        : this("The device is busy.")
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public DeviceBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
        HResult = Ebusy;
    }
}
