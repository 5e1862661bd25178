using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>Directories, links and the other operations on names.</summary>
public sealed partial class VexFileSystem
{
    /// <summary>Creates a directory and any missing parents; an existing directory is fine.</summary>
    public void CreateDirectory(string path) => Mutate(editor =>
    {
        long current = editor.RootInode;
        foreach (string part in Split(path))
        {
            var entry = editor.Lookup(current, part);
            if (entry is null)
            {
                current = editor.CreateDirectory(current, part);
            }
            else if (entry.Value.Type == UnixFileType.Directory)
            {
                current = entry.Value.Inode;
            }
            else
            {
                throw new IOException($"'{part}' in '{path}' exists and is not a directory.");
            }
        }

        return current;
    });

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

    /// <summary>The entries of a directory, in hash order, without '.' and '..'.</summary>
    public IReadOnlyList<VexEntry> EnumerateEntries(string path) => Query(editor =>
    {
        long directory = Resolve(editor, path);
        if (editor.ReadInode(directory).Mode.Type() != UnixFileType.Directory)
        {
            throw new DirectoryNotFoundException($"'{path}' is not a directory.");
        }

        return (IReadOnlyList<VexEntry>)editor.List(directory).Select(e => new VexEntry(e.Name, e.Type, e.Inode)).ToList();
    });

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
            throw new IOException($"'{path}' is a directory; use DeleteDirectory.");
        }

        editor.Unlink(parent, name);
        return 0;
    });

    /// <summary>Removes a directory; with <paramref name="recursive"/>, everything below it first.</summary>
    public void DeleteDirectory(string path, bool recursive = false)
    {
        if (recursive)
        {
            foreach (var entry in EnumerateEntries(path))
            {
                string child = path.TrimEnd('/') + "/" + entry.Name;
                if (entry.Type == UnixFileType.Directory)
                {
                    DeleteDirectory(child, recursive: true);
                }
                else
                {
                    Delete(child);
                }
            }
        }

        Mutate(editor =>
        {
            var (parent, name) = ResolveParent(editor, path);
            var entry = editor.Lookup(parent, name) ?? throw new DirectoryNotFoundException($"'{path}' does not exist.");
            if (entry.Type != UnixFileType.Directory)
            {
                throw new IOException($"'{path}' is not a directory.");
            }

            editor.Unlink(parent, name);
            return 0;
        });
    }

    /// <summary>
    /// Renames or moves an entry, atomically. With <paramref name="overwrite"/>, a file (or an empty directory)
    /// of the new name is replaced.
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
            throw new IOException($"'{destination}' already exists.");
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

    /// <summary>The target of the symbolic link <paramref name="path"/>.</summary>
    public string ReadLink(string path) => Query(editor => LinkTarget(editor, Resolve(editor, path)));
}
