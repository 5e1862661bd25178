using VexFs.Samples;
using VexFs.Vectors;

namespace VexCtl;

/// <summary>The vector spaces of a mounted VexFS, through the space ioctls on a descriptor of a path on it.</summary>
internal static partial class MountedVectors
{
    /// <summary>Every space of the filesystem mounted at <paramref name="path"/>, by name, page after page.</summary>
    public static List<SpaceEntry> Spaces(string path)
    {
        var spaces = new List<SpaceEntry>();
        OnDescriptor(path, 0, null, fd =>
        {
            var message = new byte[VectorIoctl.Size];
            while (true)
            {
                SpaceListMessage.WriteQuestion(message, spaces.Count);
                Check(Ioctl(fd, VectorIoctl.ListSpaces, message), path, null);
                var (total, page) = SpaceListMessage.ReadAnswer(message);
                spaces.AddRange(page);
                if (spaces.Count >= total || page.Length == 0)
                {
                    return;
                }
            }
        });
        return spaces;
    }

    public static void CreateSpace(string path, string name, int dimension, VectorMetric metric) =>
        OnDescriptor(path, 0, name, fd =>
        {
            var message = new byte[VectorIoctl.Size];
            new SpaceMessage(name, dimension, metric).WriteTo(message);
            Check(Ioctl(fd, VectorIoctl.CreateSpace, message), path, name);
        });

    public static void DropSpace(string path, string name) =>
        OnDescriptor(path, 0, name, fd =>
        {
            var message = new byte[VectorIoctl.Size];
            new SpaceMessage(name, 0, 0).WriteTo(message);
            Check(Ioctl(fd, VectorIoctl.DropSpace, message), path, name);
        });
}
