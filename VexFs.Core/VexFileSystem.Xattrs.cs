using VexFs.Core.Editing;
using VexFs.Format;

namespace VexFs.Core;

/// <summary>
/// Extended attributes: names of 1 to 255 bytes ("user.tag", "security.selinux"), values of up to 4000 bytes,
/// as many as fit one block per file. Each change is one atomic operation.
/// </summary>
public sealed partial class VexFileSystem
{
    /// <summary>The value of attribute <paramref name="name"/> of inode <paramref name="inode"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such attribute.</exception>
    public byte[] GetXattr(long inode, string name)
    {
        FileSystemEditor.ValidateXattrName(name);
        return Query(editor => Xattr(editor, inode, name));
    }

    /// <inheritdoc cref="GetXattr(long, string)"/>
    public byte[] GetXattr(string path, string name)
    {
        FileSystemEditor.ValidateXattrName(name);
        return Query(editor => Xattr(editor, Resolve(editor, path), name));
    }

    /// <summary>The names of the attributes of inode <paramref name="inode"/>, in ordinal order.</summary>
    public IReadOnlyList<string> ListXattrs(long inode) => Query(editor => Names(editor, inode));

    /// <inheritdoc cref="ListXattrs(long)"/>
    public IReadOnlyList<string> ListXattrs(string path) => Query(editor => Names(editor, Resolve(editor, path)));

    /// <summary>Sets attribute <paramref name="name"/> of inode <paramref name="inode"/>.</summary>
    /// <exception cref="IOException">With <see cref="XattrMode.Create"/>, the attribute exists; or the file's attributes would no longer fit.</exception>
    /// <exception cref="KeyNotFoundException">With <see cref="XattrMode.Replace"/>, the attribute does not exist.</exception>
    public void SetXattr(long inode, string name, byte[] value, XattrMode mode = XattrMode.CreateOrReplace)
    {
        ArgumentNullException.ThrowIfNull(value);
        FileSystemEditor.ValidateXattrName(name);
        var copy = (byte[])value.Clone();
        Mutate(editor => Set(editor, inode, name, copy, mode));
    }

    /// <inheritdoc cref="SetXattr(long, string, byte[], XattrMode)"/>
    public void SetXattr(string path, string name, byte[] value, XattrMode mode = XattrMode.CreateOrReplace)
    {
        ArgumentNullException.ThrowIfNull(value);
        FileSystemEditor.ValidateXattrName(name);
        var copy = (byte[])value.Clone();
        Mutate(editor => Set(editor, Resolve(editor, path), name, copy, mode));
    }

    /// <summary>Removes attribute <paramref name="name"/> of inode <paramref name="inode"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such attribute.</exception>
    public void RemoveXattr(long inode, string name)
    {
        FileSystemEditor.ValidateXattrName(name);
        Mutate(editor => editor.SetXattr(inode, name, null));
    }

    /// <inheritdoc cref="RemoveXattr(long, string)"/>
    public void RemoveXattr(string path, string name)
    {
        FileSystemEditor.ValidateXattrName(name);
        Mutate(editor => editor.SetXattr(Resolve(editor, path), name, null));
    }

    private static byte[] Xattr(FileSystemEditor editor, long inode, string name)
    {
        Describe(editor, inode);
        return editor.ReadXattrs(inode).TryGetValue(name, out var value)
            ? value
            : throw new KeyNotFoundException($"Inode {inode} has no attribute '{name}'.");
    }

    private static IReadOnlyList<string> Names(FileSystemEditor editor, long inode)
    {
        Describe(editor, inode);
        return [.. editor.ReadXattrs(inode).Keys];
    }

    private static void Set(FileSystemEditor editor, long inode, string name, byte[] value, XattrMode mode)
    {
        Describe(editor, inode);
        bool exists = editor.ReadXattrs(inode).ContainsKey(name);
        if (mode == XattrMode.Create && exists)
        {
            throw new VexFsException(VexErrorKind.AlreadyExists, $"Inode {inode} already has an attribute '{name}'.");
        }

        if (mode == XattrMode.Replace && !exists)
        {
            throw new KeyNotFoundException($"Inode {inode} has no attribute '{name}'.");
        }

        editor.SetXattr(inode, name, value);
    }
}
