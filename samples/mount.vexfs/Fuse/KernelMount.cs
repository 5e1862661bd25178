using System.Globalization;
using System.Runtime.InteropServices;
using MountVexfs.Native;

namespace MountVexfs.Fuse;

/// <summary>
/// mount(2) of a FUSE filesystem of type fuse.vexfs on an open /dev/fuse, as root: the kernel is told the
/// device's descriptor, the root's mode, who mounted it, and that it checks permissions itself
/// (default_permissions), with allow_other when other users may enter.
/// </summary>
internal static class KernelMount
{
    public const string Type = "fuse.vexfs";

    /// <exception cref="IOException">mount(2) refused (the errno's text says why).</exception>
    public static void Mount(FuseDevice fuse, MountOptions options, int rootMode)
    {
        string data = string.Create(
            CultureInfo.InvariantCulture,
            $"fd={fuse.Fd},rootmode={Convert.ToString(rootMode, 8)},user_id={LibC.GetUid()},group_id={LibC.GetGid()},default_permissions,max_read={FuseSession.MaxWrite}");
        if (options.AllowOther)
        {
            data += ",allow_other";
        }

        ulong flags = options.Flags | (options.ReadOnly ? LibC.MsRdOnly : 0);
        if (LibC.Mount(options.Device, options.MountPoint, Type, flags, data) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mount {options.MountPoint}: {LibC.Describe(errno)}", errno);
        }
    }

    /// <summary>Detaches the mount now; it goes once the files open on it are closed (umount -l).</summary>
    public static void Detach(string mountPoint) => LibC.Unmount(mountPoint, LibC.MntDetach);
}
