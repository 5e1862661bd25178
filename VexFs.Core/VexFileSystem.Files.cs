using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>Opening, reading and writing files.</summary>
public sealed partial class VexFileSystem
{
    /// <summary>
    /// Opens a file as <see cref="File.Open(string, FileMode, FileAccess, FileShare)"/> does. Sharing is
    /// enforced between the streams of this instance for reading and writing; a file may always be deleted or
    /// renamed while open (<see cref="FileShare.Delete"/> is implied), and lives on until its last stream closes.
    /// </summary>
    /// <exception cref="IOException">The file exists and <paramref name="mode"/> refuses it, or another stream's sharing refuses this open.</exception>
    /// <exception cref="UnauthorizedAccessException">The path names a directory, symbolic link, device file, pipe or socket.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/>, <paramref name="access"/> or <paramref name="share"/> is not a defined value.</exception>
    public VexFileStream OpenFile(string path, FileMode mode, FileAccess access = FileAccess.ReadWrite, FileShare share = FileShare.ReadWrite | FileShare.Delete)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a defined FileMode.");
        }

        RequireDefined(access, share);
        if (access == FileAccess.Read && mode is not (FileMode.Open or FileMode.OpenOrCreate))
        {
            throw new ArgumentException($"{mode} needs write access.", nameof(mode));
        }

        if (mode == FileMode.Open)
        {
            return Query(editor => OpenExisting(editor, path, access, share));
        }

        return Mutate(editor =>
        {
            var (parent, name) = ResolveParent(editor, path);
            var entry = editor.Lookup(parent, name);
            if (mode == FileMode.CreateNew && entry is not null)
            {
                throw new VexFsException(VexErrorKind.AlreadyExists, $"'{path}' already exists.");
            }

            if (entry is { } existing)
            {
                RequireRegularFile(existing.Type, $"'{path}'");
            }
            else if (NamesDirectory(path))
            {
                throw new UnauthorizedAccessException($"'{path}' ends in '/', which names a directory, not a file.").With(VexErrorKind.IsADirectory);
            }

            switch (mode)
            {
                case FileMode.Truncate when entry is null:
                    throw new FileNotFoundException($"'{path}' does not exist.", path);
                case FileMode.Create or FileMode.Truncate when entry is not null:
                    _openFiles.Check(entry.Value.Inode, access, share);
                    editor.SetLength(entry.Value.Inode, 0);
                    return new VexFileStream(this, entry.Value.Inode, access, share, 0);
                case FileMode.Append when entry is not null:
                    return new VexFileStream(this, entry.Value.Inode, access, share, editor.ReadInode(entry.Value.Inode).Size);
                case FileMode.OpenOrCreate when entry is not null:
                    return new VexFileStream(this, entry.Value.Inode, access, share, 0);
                default:
                    return new VexFileStream(this, editor.CreateFile(parent, name, []), access, share, 0);
            }
        });
    }

    internal long LengthOf(long inode) => Query(editor => editor.ReadInode(inode).Size);

    internal int ReadAt(long inode, long position, Span<byte> buffer)
    {
        using var gate = _gates.EnterRead(inode);
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            try
            {
                return _editor.Read(inode, position, buffer);
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                Latch(e);
                throw;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Writes in two halves: the allocation and the inode change as one operation under the exclusive lock,
    /// then the data under the shared lock, so that writes to different files move their data at once. No
    /// commit starts while a write's data is on its way (data=ordered), and the file's gate keeps its readers
    /// out of blocks not yet filled. <paramref name="accepted"/> runs between the halves.
    /// </summary>
    internal void WriteAt(long inode, long position, ReadOnlySpan<byte> data, Action? accepted)
    {
        int length = data.Length;
        if (length == 0)
        {
            // Nothing to write, as with pwrite of 0 bytes; but only to a regular file that exists.
            Query(editor =>
            {
                RequireRegularFile(Describe(editor, inode).Type, $"Inode {inode}");
                return 0;
            });
            return;
        }

        using var gate = _gates.EnterWrite(inode);
        bool counted = false;
        List<WriteSegment> segments;
        try
        {
            segments = Mutate(editor =>
            {
                var plan = editor.PlanWrite(inode, position, length);
                BeginDataWrite();
                counted = true;
                return plan;
            });
        }
        catch
        {
            if (counted)
            {
                EndDataWrite();
            }

            throw;
        }

        try
        {
            accepted?.Invoke();
        }
        finally
        {
            WriteData(segments, data);
        }
    }

    private void WriteData(List<WriteSegment> segments, ReadOnlySpan<byte> data)
    {
        try
        {
            _lock.EnterReadLock();
            try
            {
                _editor.WriteSegments(segments, data);
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                Latch(e);
                throw;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            EndDataWrite();
        }
    }

    private void BeginDataWrite()
    {
        lock (_writesLock)
        {
            _dataWrites++;
        }
    }

    private void EndDataWrite()
    {
        lock (_writesLock)
        {
            if (--_dataWrites == 0)
            {
                Monitor.PulseAll(_writesLock);
            }
        }
    }

    /// <summary>Waits until no write has data on its way (without holding the filesystem lock).</summary>
    private void WaitForDataWrites()
    {
        lock (_writesLock)
        {
            while (_dataWrites > 0)
            {
                Monitor.Wait(_writesLock);
            }
        }
    }

    private bool DataWritesPending
    {
        get
        {
            lock (_writesLock)
            {
                return _dataWrites > 0;
            }
        }
    }

    internal void SetLengthOf(long inode, long length) => Mutate(editor =>
    {
        editor.SetLength(inode, length);
        return 0;
    });

    private VexFileStream OpenExisting(FileSystemEditor editor, string path, FileAccess access, FileShare share)
    {
        long inode = Resolve(editor, path);
        RequireRegularFile(editor.ReadInode(inode).Mode.Type(), $"'{path}'");
        return new VexFileStream(this, inode, access, share, 0);
    }
}
