using VexFs.BlockDevices;

namespace VexFs.Format.Editing;

/// <summary>
/// Copies a local directory tree into an unmounted, freshly formatted filesystem, as <c>mke2fs -d</c> does:
/// directories, regular files (streamed in 1 MiB pieces) and symbolic links, with their permission bits.
/// </summary>
public static class DirectoryImporter
{
    private const int Piece = 1 << 20;

    /// <summary>Copies everything below <paramref name="source"/> into the root directory of the filesystem on <paramref name="device"/>.</summary>
    /// <returns>The number of files, directories and links copied.</returns>
    public static int Import(BlockDevice device, string source)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"'{source}' is not a directory.");
        }

        var editor = FileSystemEditor.Open(device);
        int copied = Copy(editor, source, editor.RootInode);
        editor.Commit();
        return copied;
    }

    private static int Copy(FileSystemEditor editor, string directory, long parent)
    {
        int copied = 0;
        var buffer = new byte[Piece];
        foreach (string path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            var info = new FileInfo(path);
            int permissions = OperatingSystem.IsWindows() ? 0x1A4 : (int)File.GetUnixFileMode(path);
            if (info.LinkTarget is { } target)
            {
                editor.CreateSymbolicLink(parent, name, target);
            }
            else if (Directory.Exists(path))
            {
                copied += Copy(editor, path, editor.CreateDirectory(parent, name, permissions));
            }
            else
            {
                long inode = editor.CreateFile(parent, name, [], permissions);
                using var stream = File.OpenRead(path);
                long offset = 0;
                for (int read; (read = stream.Read(buffer)) > 0; offset += read)
                {
                    editor.Write(inode, offset, buffer.AsSpan(0, read));
                }
            }

            copied++;
        }

        return copied;
    }
}
