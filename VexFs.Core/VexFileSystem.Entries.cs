using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>Directories, links and the other operations on names.</summary>
public sealed partial class VexFileSystem
{
    /// <summary>
    /// Creates a directory and any missing parents (each its own operation, as mkdir -p does); an existing
    /// directory is fine, and '.' and '..' step as they do in a path.
    /// </summary>
    public void CreateDirectory(string path)
    {
        var parts = Split(path);
        for (int depth = 1; depth <= parts.Length; depth++)
        {
            string prefix = "/" + string.Join('/', parts[..depth]);
            if (parts[depth - 1] is "." or "..")
            {
                // Nothing to create: the directory it steps to exists (or the next step says why not).
                Query(editor => Resolve(editor, prefix));
                continue;
            }

            bool last = depth == parts.Length;
            Mutate(editor =>
            {
                var (parent, name) = ResolveParent(editor, prefix);
                var entry = editor.Lookup(parent, name);
                if (entry is null)
                {
                    editor.CreateDirectory(parent, name);
                }
                else if (entry.Value.Type != UnixFileType.Directory)
                {
                    throw last
                        ? new VexFsException(VexErrorKind.AlreadyExists, $"'{path}' exists and is not a directory.")
                        : new DirectoryNotFoundException($"'{prefix}' in '{path}' is not a directory.").With(VexErrorKind.NotADirectory);
                }
            });
        }
    }

    /// <summary>Whether <paramref name="path"/> names anything.</summary>
    public bool Exists(string path) => Query(editor =>
    {
        try
        {
            Resolve(editor, path);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    });

    /// <summary>
    /// The entries of a directory with their kinds and sizes, in hash order, without '.' and '..', read lazily a
    /// page at a time as readdir does: entries that exist for the whole enumeration come exactly once, whatever
    /// changes meanwhile.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="path"/> is not a directory (raised at the call).</exception>
    public IEnumerable<VexEntry> EnumerateEntries(string path)
    {
        long directory = Query(editor =>
        {
            long number = Resolve(editor, path);
            return editor.ReadInode(number).Mode.Type() == UnixFileType.Directory
                ? number
                : throw new DirectoryNotFoundException($"'{path}' is not a directory.").With(VexErrorKind.NotADirectory);
        });
        return EntryPages(directory);
    }

    private IEnumerable<VexEntry> EntryPages(long directory)
    {
        const int PageSize = 512;
        for (long cookie = 0; ;)
        {
            var page = Query(editor =>
            {
                var entries = new List<VexEntry>();
                var inode = editor.ReadInode(directory);
                if (inode.IsFree || inode.Mode.Type() != UnixFileType.Directory)
                {
                    // Removed while being listed: as readdir on a deleted directory, nothing more.
                    return entries;
                }

                cookie = ReadPage(editor, directory, cookie, PageSize, (entry, _) => entries.Add(new VexEntry(entry.Name, entry.Type, entry.Inode, editor.ReadInode(entry.Inode).Size)));
                return entries;
            });
            if (page.Count == 0)
            {
                yield break;
            }

            foreach (var entry in page)
            {
                yield return entry;
            }
        }
    }

    /// <summary>What stat tells of <paramref name="path"/> (symbolic links are not followed).</summary>
    public VexFileInfo GetInfo(string path) => Query(editor => Describe(editor, Resolve(editor, path)));

    /// <summary>Changes the permissions, owner or times of <paramref name="path"/> (symbolic links are not followed).</summary>
    public VexFileInfo SetInfo(string path, VexInfoChange change) => Mutate(editor => Change(editor, Resolve(editor, path), change));

    /// <summary>Removes a file, symbolic link or other non-directory.</summary>
    public void Delete(string path) => Mutate(editor =>
    {
        var (parent, name) = ResolveParent(editor, path);
        var entry = editor.Lookup(parent, name) ?? throw new FileNotFoundException($"'{path}' does not exist.", path);
        if (entry.Type == UnixFileType.Directory)
        {
            throw new VexFsException(VexErrorKind.IsADirectory, $"'{path}' is a directory; use DeleteDirectory.");
        }

        editor.Unlink(parent, name);
        return 0;
    });

    /// <summary>
    /// Removes a directory; with <paramref name="recursive"/>, everything below it first, each name its own
    /// operation (as rm -r does), in time linear in the size of the tree however deep it is. The root is never
    /// removed: <paramref name="path"/> must name an entry.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is the root, or ends in '.' or '..'.</exception>
    public void DeleteDirectory(string path, bool recursive = false)
    {
        var (parent, name, directory) = Query(editor =>
        {
            var (parent, name) = ResolveParent(editor, path);
            var entry = editor.Lookup(parent, name) ?? throw new DirectoryNotFoundException($"'{path}' does not exist.");
            return entry.Type == UnixFileType.Directory
                ? (parent, name, entry.Inode)
                : throw new VexFsException(VexErrorKind.NotADirectory, $"'{path}' is not a directory.");
        });
        if (recursive)
        {
            EmptyTree(directory);
        }

        RemoveEntry(parent, name, directory);
    }

    /// <summary>
    /// Removes everything below <paramref name="top"/>, depth first with a stack of its own rather than
    /// recursion, addressing each directory by inode so that no path is resolved again.
    /// </summary>
    private void EmptyTree(long top)
    {
        const int PageSize = 512;
        var below = new Stack<(long Parent, string Name, long Directory, ulong From)>();
        below.Push((0, string.Empty, top, 0));
        while (below.Count > 0)
        {
            var (parent, name, directory, from) = below.Pop();
            var page = Query(editor => editor.List(directory, from).Take(PageSize).ToList());
            if (page.Count == 0)
            {
                if (directory != top)
                {
                    RemoveEntry(parent, name, directory);
                }

                continue;
            }

            // Everything before the first entry left is gone, so the listing resumes at its hash.
            var subdirectory = page.FirstOrDefault(e => e.Type == UnixFileType.Directory);
            foreach (var entry in page.TakeWhile(e => e.Type != UnixFileType.Directory))
            {
                RemoveEntry(directory, entry.Name, entry.Inode);
            }

            below.Push((parent, name, directory, subdirectory.Name is null ? from : subdirectory.Hash));
            if (subdirectory.Name is not null)
            {
                below.Push((directory, subdirectory.Name, subdirectory.Inode, 0));
            }
        }
    }

    /// <summary>Removes the name <paramref name="name"/> of <paramref name="directory"/>, when it still names <paramref name="inode"/>.</summary>
    private void RemoveEntry(long directory, string name, long inode) => Mutate(editor =>
    {
        if (editor.Lookup(directory, name) is not { } entry || entry.Inode != inode)
        {
            throw new FileNotFoundException($"'{name}' in directory {directory} was removed or replaced meanwhile.", name);
        }

        editor.Unlink(directory, name);
    });

    /// <summary>
    /// Renames or moves an entry, atomically. With <paramref name="overwrite"/>, a file (or an empty directory)
    /// of the new name is replaced; when it is another name of the same file, both names stay, as with rename(2).
    /// </summary>
    public void Move(string source, string destination, bool overwrite = false) => Mutate(editor =>
    {
        var (fromParent, fromName) = ResolveParent(editor, source);
        var (toParent, toName) = ResolveParent(editor, destination);
        if (editor.Lookup(fromParent, fromName) is null)
        {
            throw new FileNotFoundException($"'{source}' does not exist.", source);
        }

        if (!overwrite && editor.Lookup(toParent, toName) is { } existing && !(fromParent == toParent && fromName == toName))
        {
            throw new VexFsException(VexErrorKind.AlreadyExists, $"'{destination}' already exists.");
        }

        editor.Rename(fromParent, fromName, toParent, toName);
        return 0;
    });

    /// <summary>Adds the name <paramref name="path"/> for the file <paramref name="existing"/> names.</summary>
    public void CreateHardLink(string path, string existing) => Mutate(editor =>
    {
        long target = Resolve(editor, existing);
        var (parent, name) = ResolveParent(editor, path);
        editor.Link(parent, name, target);
        return 0;
    });

    /// <summary>Creates a symbolic link at <paramref name="path"/> whose target is <paramref name="target"/>.</summary>
    public void CreateSymbolicLink(string path, string target) => Mutate(editor =>
    {
        var (parent, name) = ResolveParent(editor, path);
        return editor.CreateSymbolicLink(parent, name, target);
    });

    /// <summary>Creates the device file, named pipe or socket <paramref name="path"/> (mknod); see <see cref="CreateSpecialFile(long, string, UnixFileType, int, uint, uint, uint, uint)"/>.</summary>
    public VexFileInfo CreateSpecialFile(string path, UnixFileType type, int permissions = 0x1A4, uint major = 0, uint minor = 0) => Mutate(editor =>
    {
        var (parent, name) = ResolveParent(editor, path);
        return Describe(editor, editor.CreateSpecialFile(parent, name, type, permissions, major, minor));
    });

    /// <summary>The target of the symbolic link <paramref name="path"/>.</summary>
    public string ReadLink(string path) => Query(editor => LinkTarget(editor, Resolve(editor, path)));
}
