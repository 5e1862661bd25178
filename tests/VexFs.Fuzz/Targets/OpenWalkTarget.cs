using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Format.Records;

namespace VexFs.Fuzz.Targets;

/// <summary>Opens a fuzzed small image (replaying its journal) and walks it: every entry, file, link and attribute.</summary>
internal static class OpenWalkTarget
{
    private const int MaxEntries = 10_000;

    // A sparse file may claim any size up to 2^63; reading it whole is legitimately endless.
    private const long MaxBytesPerFile = 1 << 20;

    public static void Run(byte[] input) => Walk(SparseImage.Decode(input));

    public static void Walk(MemoryBlockDevice device)
    {
        using var fs = VexFileSystem.Open(device, VexFileSystemOptions.Default with { CommitInterval = Timeout.InfiniteTimeSpan });
        var pending = new Stack<string>();
        pending.Push("/");
        var buffer = new byte[4096];
        for (int visited = 0; pending.Count > 0 && visited < MaxEntries; visited++)
        {
            string directory = pending.Pop();
            foreach (var entry in fs.EnumerateEntries(directory))
            {
                string path = directory == "/" ? "/" + entry.Name : directory + "/" + entry.Name;
                fs.GetInfo(path);
                foreach (string name in fs.ListXattrs(path))
                {
                    fs.GetXattr(path, name);
                }

                switch (entry.Type)
                {
                    case UnixFileType.Directory:
                        pending.Push(path);
                        break;
                    case UnixFileType.SymbolicLink:
                        fs.ReadLink(path);
                        break;
                    case UnixFileType.RegularFile:
                        using (var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read))
                        {
                            for (long read = 0; read < MaxBytesPerFile;)
                            {
                                int n = stream.Read(buffer);
                                if (n == 0)
                                {
                                    break;
                                }

                                read += n;
                            }
                        }

                        break;
                }
            }
        }
    }

    public static IEnumerable<byte[]> Seeds() => FsckTarget.Seeds();
}
