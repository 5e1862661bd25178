using VexFs.BlockDevices;
using VexFs.Core;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// A VexFS filesystem on an image file opened with O_DIRECT, driven through the library in this process.
/// Caches are dropped by disposing the filesystem (a clean unmount) and opening it again.
/// </summary>
internal sealed class VexTarget : MetadataTarget, IDisposable
{
    private static readonly ImageFileOptions Direct = new() { DirectIO = true };
    private readonly string _image;

    private VexTarget(string image, VexFileSystem fileSystem)
    {
        _image = image;
        FileSystem = fileSystem;
    }

    public VexFileSystem FileSystem { get; private set; }

    /// <summary>Whether the image is read and written with O_DIRECT (the host filesystem may refuse it).</summary>
    public bool IsDirect { get; private set; }

    /// <summary>Formats <paramref name="image"/> with the default layout and opens it.</summary>
    public static VexTarget Format(string image)
    {
        var device = ImageFileDevice.Open(image, Direct);
        return new(image, VexFileSystem.Format(device)) { IsDirect = device.IsDirect };
    }

    public override void CreateDirectory(string path) => FileSystem.CreateDirectory(path);

    public override void CreateDurably(string path)
    {
        using var stream = FileSystem.OpenFile(path, FileMode.CreateNew, FileAccess.Write);
        stream.Flush(flushToDisk: true);
    }

    public override void Create(string path) => FileSystem.OpenFile(path, FileMode.CreateNew, FileAccess.Write).Dispose();

    public override long Stat(string path) => FileSystem.GetInfo(path).Size;

    public override void Delete(string path) => FileSystem.Delete(path);

    /// <summary>
    /// Lists as readdir does on ext4's side (names, kinds and inode numbers, a page at a time), not as
    /// EnumerateEntries, which also reads every entry's inode for its size.
    /// </summary>
    public override int List(string directory)
    {
        long inode = FileSystem.GetInfo(directory).Inode;
        int count = 0;
        for (long cookie = 0; ;)
        {
            var page = FileSystem.ReadDirectory(inode, cookie, 512);
            if (page.Count == 0)
            {
                return count;
            }

            count += page.Count;
            cookie = page[^1].NextCookie;
        }
    }

    public override void Sync(string directory) => FileSystem.Flush();

    public override void DropCaches()
    {
        FileSystem.Dispose();
        var device = ImageFileDevice.Open(_image, Direct);
        IsDirect = device.IsDirect;
        FileSystem = VexFileSystem.Open(device);
    }

    public void Dispose() => FileSystem.Dispose();
}
