using System.Diagnostics;

namespace VexFs.Bench.FileSystem;

/// <summary>
/// A kernel filesystem mounted at <paramref name="mountPoint"/>, driven through System.IO: one system call or
/// two per operation. Caches are dropped by unmounting and mounting <paramref name="device"/> again.
/// </summary>
internal sealed class MountedTarget(string device, string mountPoint) : MetadataTarget
{
    public string MountPoint => mountPoint;

    public override void CreateDirectory(string path) => Directory.CreateDirectory(Host(path));

    public override void CreateDurably(string path)
    {
        using var stream = new FileStream(Host(path), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        stream.Flush(flushToDisk: true);
    }

    public override void Create(string path) =>
        new FileStream(Host(path), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0).Dispose();

    public override long Stat(string path) => new FileInfo(Host(path)).Length;

    public override void Delete(string path) => File.Delete(Host(path));

    public override int List(string directory)
    {
        int count = 0;
        foreach (string _ in Directory.EnumerateFileSystemEntries(Host(directory)))
        {
            count++;
        }

        return count;
    }

    public override void Sync(string directory) => Native.SyncDirectory(Host(directory));

    public override void DropCaches()
    {
        Execute("umount", mountPoint);
        Execute("mount", device, mountPoint);
    }

    private string Host(string path) => Path.Join(mountPoint, path);

    private static void Execute(string command, params string[] arguments)
    {
        using var process = Process.Start(command, arguments);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} exited with {process.ExitCode}");
        }
    }
}
