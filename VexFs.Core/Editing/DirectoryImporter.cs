using VexFs.BlockDevices;
using VexFs.BlockDevices.Linux;
using VexFs.Core.Vectors;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Copies a local directory tree into an unmounted, freshly formatted filesystem, as <c>mke2fs -d</c> does:
/// directories, regular files (streamed in 1 MiB pieces, holes kept), symbolic links, device files, named
/// pipes, sockets and hard links, with their permission bits, owners, access and modification times and
/// extended attributes. The root directory takes the attributes of the source directory.
/// </summary>
public static class DirectoryImporter
{
    private const int Piece = 1 << 20;

    /// <summary>Copies everything below <paramref name="source"/> into the root directory of the filesystem on <paramref name="device"/>.</summary>
    /// <returns>What was copied, and what was left out.</returns>
    public static ImportSummary Import(BlockDevice device, string source)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"'{source}' is not a directory.");
        }

        var editor = FileSystemEditor.Open(device);
        var state = editor.Superblock.State;

        // Until the whole copy is on the device the filesystem says it needs checking, so that a copy cut short
        // (a full filesystem, an unreadable source, a power cut) is never taken for a clean filesystem.
        editor.Allocator.UpdateSuperblock(sb => sb with { State = FileSystemState.Errors });
        editor.Commit();
        using var vectors = new VectorCatalog(indexOptions: null);
        vectors.Load(editor);
        var import = new Copier(editor, vectors);
        import.CopyAttributes(source, editor.RootInode);
        import.CopyDirectory(source, editor.RootInode);
        editor.Commit();
        editor.Allocator.UpdateSuperblock(sb => sb with { State = state });
        editor.Commit();
        return import.Summary;
    }

    private sealed class Copier(FileSystemEditor editor, VectorCatalog vectors)
    {
        private readonly Dictionary<(ulong Device, ulong Inode), long> _linked = [];
        private readonly byte[] _buffer = new byte[Piece];

        public ImportSummary Summary { get; private set; } = new(0, 0, 0, 0, 0);

        public void CopyDirectory(string directory, long parent)
        {
            foreach (string path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
            {
                CopyEntry(path, parent);
            }
        }

        public void CopyAttributes(string path, long inode)
        {
            if (OperatingSystem.IsWindows())
            {
                return;
            }

            var status = FileStatus.OfLink(path);
            editor.SetAttributes(inode, status.Mode & 0xFFF, status.Uid, status.Gid, status.AccessTimeNs, status.ModifyTimeNs);
            foreach (var (name, value) in HostXattrs.Read(path))
            {
                if (name.StartsWith(VexFileSystem.VectorXattrPrefix, StringComparison.Ordinal))
                {
                    CopyVector(path, inode, name[VexFileSystem.VectorXattrPrefix.Length..], value);
                }
                else
                {
                    editor.SetXattr(inode, name, value);
                }
            }
        }

        /// <summary>A <c>user.vexfs.SPACE</c> attribute is the file's vector in that space, which must have been declared.</summary>
        private void CopyVector(string path, long inode, string space, byte[] value)
        {
            if (!vectors.TryGetSpace(space, out var state))
            {
                throw new ArgumentException($"'{path}' carries a vector for '{space}', a space the filesystem does not have (declare it with -V {space}:DIMENSION:METRIC).");
            }

            if (editor.ReadInode(inode).Mode.Type() != UnixFileType.RegularFile)
            {
                throw new ArgumentException($"'{path}' carries a vector for '{space}', but only regular files carry vectors.");
            }

            float[] stored;
            try
            {
                stored = state.Space.ToStored(VectorAttribute.Decode(value, nameof(value)));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"'{path}' carries an invalid vector for '{space}': {e.Message}", e);
            }

            vectors.Set(editor, state, inode, stored);
            vectors.Complete();
        }

        private void CopyEntry(string path, long parent)
        {
            string name = Path.GetFileName(path);
            var info = new FileInfo(path);
            var status = OperatingSystem.IsWindows() ? default : FileStatus.OfLink(path);
            if (status.LinkCount > 1 && !Directory.Exists(path) && _linked.TryGetValue(status.Identity, out long existing))
            {
                editor.Link(parent, name, existing);
                Summary = Summary with { HardLinks = Summary.HardLinks + 1 };
                return;
            }

            long inode;
            if (info.LinkTarget is { } target)
            {
                inode = editor.CreateSymbolicLink(parent, name, target);
                Summary = Summary with { SymbolicLinks = Summary.SymbolicLinks + 1 };
            }
            else if (info.Attributes.HasFlag(FileAttributes.Directory))
            {
                inode = editor.CreateDirectory(parent, name);
                CopyDirectory(path, inode);
                Summary = Summary with { Directories = Summary.Directories + 1 };
            }
            else if (OperatingSystem.IsWindows() || status.IsRegularFile)
            {
                inode = editor.CreateFile(parent, name, []);
                CopyContents(path, inode);
                Summary = Summary with { Files = Summary.Files + 1 };
            }
            else
            {
                var host = HostFile.Describe(path);
                inode = editor.CreateSpecialFile(parent, name, host.Type, host.Permissions, host.DeviceMajor, host.DeviceMinor);
                Summary = Summary with { SpecialFiles = Summary.SpecialFiles + 1 };
            }

            CopyAttributes(path, inode);
            if (status.LinkCount > 1)
            {
                _linked[status.Identity] = inode;
            }
        }

        private void CopyContents(string path, long inode)
        {
            using var stream = File.OpenRead(path);
            long offset = 0;
            for (int read; (read = stream.ReadAtLeast(_buffer, _buffer.Length, throwOnEndOfStream: false)) > 0; offset += read)
            {
                // Pieces of zeros stay holes, as in a sparse copy.
                if (_buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                {
                    editor.Write(inode, offset, _buffer.AsSpan(0, read));
                }
            }

            editor.SetLength(inode, offset);
        }
    }
}

/// <summary>What <see cref="DirectoryImporter.Import"/> copied.</summary>
/// <param name="Files">Regular files.</param>
/// <param name="Directories">Directories.</param>
/// <param name="SymbolicLinks">Symbolic links.</param>
/// <param name="HardLinks">Names added for files already copied.</param>
/// <param name="SpecialFiles">Device files, named pipes and sockets.</param>
public sealed record ImportSummary(int Files, int Directories, int SymbolicLinks, int HardLinks, int SpecialFiles)
{
    /// <summary>Every entry copied.</summary>
    public int Total => Files + Directories + SymbolicLinks + HardLinks + SpecialFiles;
}
