using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MountVexfs.Native;

namespace MountVexfs.Fuse;

/// <summary>
/// Mounts a FUSE filesystem of type fuse.vexfs: as root with mount(2) on an open /dev/fuse (the kernel is told
/// the device's descriptor, the root's mode and who mounted it); as another user through the setuid
/// fusermount3, which mounts and hands the device back over a socket. Either way the kernel checks
/// permissions itself (default_permissions), and lets other users in only with allow_other.
/// </summary>
internal static unsafe class KernelMount
{
    public const string Type = "fuse.vexfs";
    private const string Fusermount = "fusermount3";
    private const int Eintr = 4;

    private static bool AsRoot => LibC.GetUid() == 0;

    /// <summary>Mounts <see cref="MountOptions.Device"/> on <see cref="MountOptions.MountPoint"/> and returns the device to serve.</summary>
    /// <exception cref="IOException">The mount was refused (the reason is in the message).</exception>
    public static FuseDevice Mount(MountOptions options, int rootMode) => AsRoot ? MountAsRoot(options, rootMode) : MountAsUser(options);

    /// <summary>Detaches the mount now; it goes once the files open on it are closed (umount -l).</summary>
    public static void Detach(string mountPoint)
    {
        if (AsRoot)
        {
            LibC.Unmount(mountPoint, LibC.MntDetach);
            return;
        }

        using var unmount = Process.Start(new ProcessStartInfo(Fusermount, ["-u", "-z", "--", mountPoint]) { RedirectStandardError = true });
        unmount?.WaitForExit();
    }

    private static FuseDevice MountAsRoot(MountOptions options, int rootMode)
    {
        var fuse = FuseDevice.Open();
        string data = string.Create(
            CultureInfo.InvariantCulture,
            $"fd={fuse.Fd},rootmode={Convert.ToString(rootMode, 8)},user_id={LibC.GetUid()},group_id={LibC.GetGid()},{CommonOptions(options)}");
        ulong flags = options.Flags | (options.ReadOnly ? LibC.MsRdOnly : 0);
        if (LibC.Mount(options.Device, options.MountPoint, Type, flags, data) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            fuse.Dispose();
            throw new IOException($"mount {options.MountPoint}: {LibC.Describe(errno)}", errno);
        }

        return fuse;
    }

    /// <summary>
    /// Runs fusermount3 with one end of a socket pair named in _FUSE_COMMFD; it opens /dev/fuse, mounts it, and
    /// sends the descriptor back as SCM_RIGHTS.
    /// </summary>
    private static FuseDevice MountAsUser(MountOptions options)
    {
        int* pair = stackalloc int[2];
        if (LibC.SocketPair(LibC.AfUnix, LibC.SockStream, 0, pair) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot make a socket for {Fusermount}: {LibC.Describe(errno)}", errno);
        }

        try
        {
            var names = new List<string> { options.ReadOnly ? "ro" : "rw", $"fsname={options.Device}", "subtype=vexfs", CommonOptions(options) };
            names.AddRange(options.FlagNames());
            var start = new ProcessStartInfo(Fusermount, ["-o", string.Join(',', names), "--", options.MountPoint]) { RedirectStandardError = true };
            start.Environment["_FUSE_COMMFD"] = pair[1].ToString(CultureInfo.InvariantCulture);
            Process helper;
            try
            {
                helper = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new IOException($"{Fusermount} cannot be run ({e.Message}); it comes with FUSE 3 (Debian package fuse3)", e);
            }

            using (helper)
            {
                LibC.Close(pair[1]);
                pair[1] = -1;
                var errors = helper.StandardError.ReadToEndAsync();
                int fd = ReceiveDescriptor(pair[0]);
                helper.WaitForExit();
                if (fd < 0)
                {
                    throw new IOException($"{Fusermount} did not mount {options.MountPoint}: {errors.GetAwaiter().GetResult().Trim()}");
                }

                return FuseDevice.Adopt(fd);
            }
        }
        finally
        {
            LibC.Close(pair[0]);
            if (pair[1] >= 0)
            {
                LibC.Close(pair[1]);
            }
        }
    }

    /// <summary>The descriptor passed as SCM_RIGHTS with one byte on <paramref name="socket"/>, or -1 when none came.</summary>
    private static int ReceiveDescriptor(int socket)
    {
        byte data = 0;
        var iov = new LibC.IoVec { Base = &data, Length = 1 };
        const int ControlSize = 64;
        byte* control = stackalloc byte[ControlSize];
        var message = new LibC.MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSize };
        nint received;
        do
        {
            received = LibC.ReceiveMessage(socket, &message, 0);
        }
        while (received < 0 && Marshal.GetLastPInvokeError() == Eintr);

        var header = (LibC.ControlHeader*)control;
        if (received <= 0 || message.ControlLength < (nuint)(sizeof(LibC.ControlHeader) + sizeof(int))
            || header->Level != LibC.SolSocket || header->Type != LibC.ScmRights)
        {
            return -1;
        }

        return *(int*)(control + sizeof(LibC.ControlHeader));
    }

    private static string CommonOptions(MountOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"default_permissions,max_read={FuseSession.MaxWrite}") + (options.AllowOther ? ",allow_other" : string.Empty);
}
