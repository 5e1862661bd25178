using FsCheck.Xunit;
using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// Random sequences of create, write, truncate, mkdir, link, unlink, rmdir and rename through the editing
/// API against an in-memory model: afterwards every name and every byte matches, and fsck reports clean.
/// </summary>
public sealed class EditorModelTests
{
    private sealed class FileData
    {
        public byte[] Content { get; set; } = [];
    }

    [Property(MaxTest = 40)]
    public void Edits_match_the_model_and_check_clean(int seed)
    {
        var random = new Random(seed);
        using var device = new MemoryBlockDevice(64L << 20);
        Formatter.Format(device, new FormatOptions { BlockSize = 1024 });
        var editor = FileSystemEditor.Open(device);
        var directories = new Dictionary<string, long> { ["/"] = editor.RootInode, ["/lost+found"] = FormatLayout.LostAndFoundInode };
        var files = new Dictionary<string, (long Inode, FileData Data)>();
        int steps = random.Next(10, 60);
        int changes = 0;
        for (int step = 0; step < steps; step++)
        {
            int before = directories.Count + files.Count + files.Values.Sum(f => f.Data.Content.Length);
            string dir = directories.Keys.ElementAt(random.Next(directories.Count));
            string name = $"n{random.Next(8)}";
            string path = dir == "/" ? "/" + name : dir + "/" + name;
            bool taken = directories.ContainsKey(path) || files.ContainsKey(path);
            switch (random.Next(8))
            {
                case 0 when !taken:
                    directories[path] = editor.CreateDirectory(directories[dir], name);
                    break;
                case 1 when !taken:
                    var content = Patterns.Random(random.Next(0, 5000), random.Next());
                    files[path] = (editor.CreateFile(directories[dir], name, content), new FileData { Content = content });
                    break;
                case 2 when files.Count > 0:
                    var (writePath, (writeInode, writeData)) = files.ElementAt(random.Next(files.Count));
                    int offset = random.Next(0, 6000);
                    var chunk = Patterns.Random(random.Next(1, 3000), random.Next());
                    editor.Write(writeInode, offset, chunk);
                    var grown = writeData.Content.Length >= offset + chunk.Length ? writeData.Content : writeData.Content.Concat(new byte[offset + chunk.Length - writeData.Content.Length]).ToArray();
                    chunk.CopyTo(grown, offset);
                    writeData.Content = grown;
                    break;
                case 3 when files.Count > 0:
                    var (_, (truncInode, truncData)) = files.ElementAt(random.Next(files.Count));
                    int length = random.Next(0, 7000);
                    editor.SetLength(truncInode, length);
                    truncData.Content = truncData.Content.Length >= length ? truncData.Content[..length] : truncData.Content.Concat(new byte[length - truncData.Content.Length]).ToArray();
                    break;
                case 4 when files.Count > 0 && !taken:
                    var linked = files.ElementAt(random.Next(files.Count)).Value;
                    editor.Link(directories[dir], name, linked.Inode);
                    files[path] = linked;
                    break;
                case 5 when files.ContainsKey(path):
                    editor.Unlink(directories[dir], name);
                    files.Remove(path);
                    break;
                case 6 when directories.ContainsKey(path) && path != "/lost+found":
                    bool empty = !directories.Keys.Any(d => d.StartsWith(path + "/", StringComparison.Ordinal)) && !files.Keys.Any(f => f.StartsWith(path + "/", StringComparison.Ordinal));
                    if (empty)
                    {
                        editor.Unlink(directories[dir], name);
                        directories.Remove(path);
                    }
                    else
                    {
                        Assert.Equal(VexErrorKind.NotEmpty, VexErrors.KindOf(Assert.ThrowsAny<Exception>(() => editor.Unlink(directories[dir], name))));
                    }

                    break;
                case 7 when taken && path != "/lost+found":
                    string toDir = directories.Keys.ElementAt(random.Next(directories.Count));
                    string toName = $"r{random.Next(4)}";
                    string toPath = toDir == "/" ? "/" + toName : toDir + "/" + toName;
                    bool below = toDir == path || toDir.StartsWith(path + "/", StringComparison.Ordinal);
                    bool occupied = directories.ContainsKey(toPath) || files.ContainsKey(toPath);
                    if (below && directories.ContainsKey(path))
                    {
                        Assert.Equal(VexErrorKind.InvalidArgument, VexErrors.KindOf(Assert.ThrowsAny<Exception>(() => editor.Rename(directories[dir], name, directories[toDir], toName))));
                    }
                    else if (!occupied)
                    {
                        editor.Rename(directories[dir], name, directories[toDir], toName);
                        Move(directories, path, toPath);
                        MoveFiles(files, path, toPath);
                    }

                    break;
            }

            changes += before != directories.Count + files.Count + files.Values.Sum(f => f.Data.Content.Length) ? 1 : 0;
        }

        Assert.True(changes > 0, "the workload changed nothing");
        editor.Commit();
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, $"seed {seed}: " + string.Join("; ", report.Findings));
        var reopened = FileSystemEditor.Open(device);
        foreach (var (path, inode) in directories)
        {
            Assert.Equal(inode, reopened.Resolve(path));
        }

        foreach (var (path, (inode, data)) in files)
        {
            Assert.Equal(inode, reopened.Resolve(path));
            Assert.Equal(data.Content.Length, reopened.ReadInode(inode).Size);
            var back = new byte[data.Content.Length];
            Assert.Equal(back.Length, reopened.Read(inode, 0, back));
            Assert.True(back.AsSpan().SequenceEqual(data.Content), $"seed {seed}: {path} differs");
            Assert.Equal(files.Values.Count(f => f.Inode == inode), reopened.ReadInode(inode).LinkCount);
        }

        Assert.Equal(directories.Count + files.Values.Select(f => f.Inode).Distinct().Count() + 9, report.InodesUsed);
    }

    private static void Move(Dictionary<string, long> directories, string from, string to)
    {
        foreach (string key in directories.Keys.Where(k => k == from || k.StartsWith(from + "/", StringComparison.Ordinal)).ToList())
        {
            directories[to + key[from.Length..]] = directories[key];
            directories.Remove(key);
        }
    }

    private static void MoveFiles(Dictionary<string, (long, FileData)> files, string from, string to)
    {
        foreach (string key in files.Keys.Where(k => k == from || k.StartsWith(from + "/", StringComparison.Ordinal)).ToList())
        {
            files[to + key[from.Length..]] = files[key];
            files.Remove(key);
        }
    }
}
