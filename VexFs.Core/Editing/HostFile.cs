using VexFs.BlockDevices.Linux;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>What a file of the local (host) filesystem is, for tools that copy trees in: its type and device number.</summary>
public static class HostFile
{
    /// <summary>Describes <paramref name="path"/> itself (a symbolic link is not followed).</summary>
    /// <exception cref="IOException">The file cannot be examined.</exception>
    public static HostFileInfo Describe(string path)
    {
        var status = FileStatus.OfLink(path);
        var type = ((UnixMode)status.Mode).Type();
        return type.IsDevice()
            ? new HostFileInfo(type, status.Mode & UnixModes.PermissionMask, status.RdevMajor, status.RdevMinor)
            : new HostFileInfo(type, status.Mode & UnixModes.PermissionMask, 0, 0);
    }
}

/// <summary>A local file's type, permission bits and, for a device file, device number.</summary>
/// <param name="Type">The file type.</param>
/// <param name="Permissions">The permission bits.</param>
/// <param name="DeviceMajor">The major device number of a device file (0 otherwise).</param>
/// <param name="DeviceMinor">The minor device number of a device file (0 otherwise).</param>
public readonly record struct HostFileInfo(UnixFileType Type, int Permissions, uint DeviceMajor, uint DeviceMinor);
