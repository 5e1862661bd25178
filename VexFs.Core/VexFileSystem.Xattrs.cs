using VexFs.Core.Editing;
using VexFs.Core.Vectors;
using VexFs.Format;

namespace VexFs.Core;

/// <summary>
/// Extended attributes: names of 1 to 255 bytes ("user.tag", "security.selinux"), values of up to 4000 bytes,
/// as many as fit one block per file. Each change is one atomic operation. The names
/// <c>user.vexfs.SPACE</c> are the file's vectors (little-endian float32, see <see cref="VectorXattrPrefix"/>):
/// setting one sets the vector, so that tools that copy attributes copy embeddings.
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

    /// <summary>
    /// As <see cref="GetXattr(long, string)"/>, answering null for an attribute the file does not have (a FUSE
    /// host asks for security.capability and the like far more often than they exist).
    /// </summary>
    public byte[]? TryGetXattr(long inode, string name)
    {
        FileSystemEditor.ValidateXattrName(name);
        return Query(editor => XattrOrNull(editor, inode, name));
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
        Mutate(editor => Remove(editor, inode, name));
    }

    /// <inheritdoc cref="RemoveXattr(long, string)"/>
    public void RemoveXattr(string path, string name)
    {
        FileSystemEditor.ValidateXattrName(name);
        Mutate(editor => Remove(editor, Resolve(editor, path), name));
    }

    private static bool IsVectorName(string name, out string space)
    {
        space = name.StartsWith(VectorXattrPrefix, StringComparison.Ordinal) ? name[VectorXattrPrefix.Length..] : string.Empty;
        return space.Length > 0;
    }

    private byte[] Xattr(FileSystemEditor editor, long inode, string name) =>
        XattrOrNull(editor, inode, name) ?? throw new KeyNotFoundException(IsVectorName(name, out string space)
            ? $"Inode {inode} has no vector in '{space}'."
            : $"Inode {inode} has no attribute '{name}'.");

    private byte[]? XattrOrNull(FileSystemEditor editor, long inode, string name)
    {
        Describe(editor, inode);
        if (IsVectorName(name, out string space))
        {
            return (_vectors.TryGetSpace(space, out _) ? GetVector(editor, inode, space) : null) is { } vector
                ? VectorAttribute.Encode(vector)
                : null;
        }

        return editor.ReadXattrs(inode).GetValueOrDefault(name);
    }

    private IReadOnlyList<string> Names(FileSystemEditor editor, long inode)
    {
        Describe(editor, inode);
        var vectors = _vectors.Spaces.Where(s => s.RowOf.ContainsKey(inode)).Select(s => VectorXattrPrefix + s.Record.Definition.Name);
        return [.. editor.ReadXattrs(inode).Keys.Concat(vectors).Order(StringComparer.Ordinal)];
    }

    private void Remove(FileSystemEditor editor, long inode, string name)
    {
        if (IsVectorName(name, out string space))
        {
            if (!_vectors.TryGetSpace(space, out _) || !RemoveVector(editor, inode, space))
            {
                throw new KeyNotFoundException($"Inode {inode} has no vector in '{space}'.");
            }

            return;
        }

        editor.SetXattr(inode, name, null);
    }

    private void Set(FileSystemEditor editor, long inode, string name, byte[] value, XattrMode mode)
    {
        Describe(editor, inode);
        bool isVector = IsVectorName(name, out string space);
        bool exists = isVector ? _vectors.Space(space).RowOf.ContainsKey(inode) : editor.ReadXattrs(inode).ContainsKey(name);
        if (mode == XattrMode.Create && exists)
        {
            throw new VexFsException(VexErrorKind.AlreadyExists, $"Inode {inode} already has an attribute '{name}'.");
        }

        if (mode == XattrMode.Replace && !exists)
        {
            throw new KeyNotFoundException($"Inode {inode} has no attribute '{name}'.");
        }

        if (isVector)
        {
            SetVector(editor, inode, space, _vectors.Space(space).Space.ToStored(VectorAttribute.Decode(value, nameof(value)), nameof(value)));
            return;
        }

        editor.SetXattr(inode, name, value);
    }
}
