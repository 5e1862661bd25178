using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>Paths: '/'-separated, absolute, UTF-8 names of 1 to 255 bytes; a trailing '/' names a directory.</summary>
public sealed partial class VexFileSystem
{
    /// <summary>Whether <paramref name="path"/> ends in '/' after a name, and so must name a directory.</summary>
    private static bool NamesDirectory(string path) => path.Length > 1 && path.EndsWith('/');

    private static string[] Split(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"'{path}' is not an absolute path (it must start with '/').", nameof(path));
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (string part in parts)
        {
            if (part is not "." and not ".." && DirectoryNames.Problem(part) is { } problem)
            {
                throw new ArgumentException($"Invalid path '{path}': {problem}.", nameof(path)).With(DirectoryNames.KindOf(part));
            }
        }

        return parts;
    }

    /// <summary>The inode a path names, following '.' and '..' but not symbolic links.</summary>
    private static long Resolve(FileSystemEditor editor, string path)
    {
        var stack = new List<long> { editor.RootInode };
        var types = new List<bool> { true };
        bool isDirectory = true;
        foreach (string part in Split(path))
        {
            // The entry that led here says whether this is a directory (the root always is); '.' and '..'
            // step only from a directory, as in any path.
            if (!isDirectory)
            {
                throw new DirectoryNotFoundException($"A component of '{path}' is not a directory.").With(VexErrorKind.NotADirectory);
            }

            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (stack.Count > 1)
                {
                    stack.RemoveAt(stack.Count - 1);
                    types.RemoveAt(types.Count - 1);
                }

                isDirectory = types[^1];
                continue;
            }

            var entry = editor.Lookup(stack[^1], part) ?? throw new FileNotFoundException($"'{path}' does not exist.", path);
            stack.Add(entry.Inode);
            types.Add(entry.Type == UnixFileType.Directory);
            isDirectory = types[^1];
        }

        if (!isDirectory && NamesDirectory(path))
        {
            throw new DirectoryNotFoundException($"'{path}' ends in '/' but is not a directory.").With(VexErrorKind.NotADirectory);
        }

        return stack[^1];
    }

    /// <summary>The directory that holds the last component of <paramref name="path"/>, and that name.</summary>
    private static (long Parent, string Name) ResolveParent(FileSystemEditor editor, string path)
    {
        var parts = Split(path);
        if (parts.Length == 0 || parts[^1] is "." or "..")
        {
            throw new ArgumentException($"'{path}' does not name an entry.", nameof(path));
        }

        string parentPath = "/" + string.Join('/', parts[..^1]);
        long parent;
        try
        {
            parent = Resolve(editor, parentPath);
        }
        catch (FileNotFoundException e)
        {
            throw new DirectoryNotFoundException($"The directory of '{path}' does not exist.", e);
        }

        if (editor.ReadInode(parent).Mode.Type() != UnixFileType.Directory)
        {
            throw new DirectoryNotFoundException($"The parent of '{path}' is not a directory.").With(VexErrorKind.NotADirectory);
        }

        if (NamesDirectory(path) && editor.Lookup(parent, parts[^1]) is { Type: not UnixFileType.Directory })
        {
            throw new DirectoryNotFoundException($"'{path}' ends in '/' but is not a directory.").With(VexErrorKind.NotADirectory);
        }

        return (parent, parts[^1]);
    }
}
