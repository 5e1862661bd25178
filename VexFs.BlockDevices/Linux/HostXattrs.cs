using System.Runtime.InteropServices;
using System.Text;

namespace VexFs.BlockDevices.Linux;

/// <summary>The extended attributes of a file on the host (symbolic links are not followed).</summary>
internal static unsafe class HostXattrs
{
    private const int Enodata = 61;
    private const int Erange = 34;
    private const int MaxValueBytes = 64 << 10;

    /// <summary>Every attribute of <paramref name="path"/> the caller may read, by name; empty where the host filesystem has none.</summary>
    public static SortedDictionary<string, byte[]> Read(string path)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] names = Call(path, (buffer, size) => LinuxNative.ListXattrs(path, buffer, size));
        foreach (string name in Encoding.UTF8.GetString(names).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                result[name] = Call(path, (buffer, size) => LinuxNative.GetXattr(path, name, buffer, size));
            }
            catch (IOException e) when (e.HResult == Enodata)
            {
                // Removed between the listing and the read.
            }
        }

        return result;
    }

    private delegate nint Query(byte* buffer, nuint size);

    /// <summary>Asks for the size, then the bytes, again if the value grew in between.</summary>
    private static byte[] Call(string path, Query query)
    {
        while (true)
        {
            nint size = query(null, 0);
            if (size < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxNative.Eopnotsupp)
                {
                    return [];
                }

                throw LinuxNative.ErrnoException(errno, $"Cannot read the extended attributes of '{path}'");
            }

            if (size > MaxValueBytes)
            {
                throw new IOException($"'{path}' has {size} bytes of extended attribute names or values; at most {MaxValueBytes} are read.");
            }

            var buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                nint read = query(p, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return buffer[..(int)read];
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Erange)
                {
                    throw LinuxNative.ErrnoException(errno, $"Cannot read the extended attributes of '{path}'");
                }
            }
        }
    }
}
