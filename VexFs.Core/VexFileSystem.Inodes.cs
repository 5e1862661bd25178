using System.Text;
using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>
/// The inode-number interface, the one a FUSE host sits on: lookup, getattr, setattr, readdir with a cookie,
/// create, link, unlink, rename, and reads and writes by inode. The path interface resolves a path and then
/// does the same thing.
/// </summary>
public sealed partial class VexFileSystem
{
    /// <summary>The inode number of the root directory.</summary>
    public long RootInode => _editor.RootInode;

    /// <summary>
    /// The largest size a file may have: the largest multiple of the block size that a signed 64-bit size
    /// holds (2^63 minus one block). The extent format addresses file blocks with 64 bits, so this is the
    /// bound; a write, truncate, preallocation or seek past it is refused with <see cref="VexErrorKind.FileTooLarge"/>.
    /// </summary>
    public long MaxFileSize => _editor.MaxFileSize;

    /// <summary>The entry <paramref name="name"/> of directory <paramref name="directory"/>, with its attributes.</summary>
    /// <exception cref="FileNotFoundException">There is no such entry.</exception>
    public VexFileInfo Lookup(long directory, string name) =>
        TryLookup(directory, name) ?? throw new FileNotFoundException($"'{name}' does not exist in directory {directory}.", name);

    /// <summary>
    /// As <see cref="Lookup(long, string)"/>, answering null for a name the directory does not hold (a FUSE
    /// host's negative lookups, one before every file created).
    /// </summary>
    public VexFileInfo? TryLookup(long directory, string name) => Query(editor =>
    {
        DirectoryNames.Validate(name, nameof(name));
        RequireDirectory(editor, directory);
        return editor.Lookup(directory, name) is { } entry ? Describe(editor, entry.Inode) : (VexFileInfo?)null;
    });

    /// <summary>What stat tells of inode <paramref name="inode"/>.</summary>
    public VexFileInfo GetInfo(long inode) => Query(editor => Describe(editor, inode));

    /// <summary>Changes the permissions, owner or times of inode <paramref name="inode"/>.</summary>
    public VexFileInfo SetInfo(long inode, VexInfoChange change) => Mutate(editor => Change(editor, inode, change));

    /// <summary>
    /// Up to <paramref name="maxEntries"/> entries of a directory (without '.' and '..'), starting at
    /// <paramref name="cookie"/> (0 for the first page, then the <see cref="VexDirectoryEntry.NextCookie"/> of
    /// the last entry read). Entries that exist throughout a listing are returned exactly once, however the
    /// directory changes between pages.
    /// </summary>
    public IReadOnlyList<VexDirectoryEntry> ReadDirectory(long directory, long cookie, int maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cookie);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        return Query(editor =>
        {
            RequireDirectory(editor, directory);
            var page = new List<VexDirectoryEntry>(Math.Min(maxEntries, 4096));

            ReadPage(editor, directory, cookie, maxEntries, (entry, next) => page.Add(new VexDirectoryEntry(entry.Name, entry.Type, entry.Inode, next)));
            return (IReadOnlyList<VexDirectoryEntry>)page;
        });
    }

    /// <summary>
    /// Hands up to <paramref name="maxEntries"/> entries from <paramref name="cookie"/> on to
    /// <paramref name="take"/>, with the cookie after each, never splitting names whose cookies are equal;
    /// returns the cookie after the last (or <paramref name="cookie"/> when there was none).
    /// </summary>
    private static long ReadPage(FileSystemEditor editor, long directory, long cookie, int maxEntries, Action<DirectoryEntry, long> take)
    {
        if (cookie >= EndCookie)
        {
            // At or past the cookie after the largest hash: the listing is over (shifting it would wrap to 0).
            return cookie;
        }

        int taken = 0;
        long last = -1;
        foreach (var entry in editor.List(directory, (ulong)cookie << CookieShift))
        {
            long key = (long)(entry.Hash >> CookieShift);
            if (taken >= maxEntries && key != last)
            {
                break;
            }

            take(entry, key + 1);
            taken++;
            last = key;
        }

        return last < 0 ? cookie : last + 1;
    }

    /// <summary>Creates an empty regular file <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public VexFileInfo CreateFile(long directory, string name, int permissions = 0x1A4, uint uid = 0, uint gid = 0) =>
        Mutate(editor => Own(editor, editor.CreateFile(directory, name, [], permissions), uid, gid));

    /// <summary>Creates an empty directory <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public VexFileInfo CreateDirectory(long directory, string name, int permissions = 0x1ED, uint uid = 0, uint gid = 0) =>
        Mutate(editor =>
        {
            RequireDirectory(editor, directory);
            return Own(editor, editor.CreateDirectory(directory, name, permissions), uid, gid);
        });

    /// <summary>Creates a symbolic link <paramref name="name"/> in <paramref name="directory"/> pointing at <paramref name="target"/>.</summary>
    public VexFileInfo CreateSymbolicLink(long directory, string name, string target, uint uid = 0, uint gid = 0) =>
        Mutate(editor => Own(editor, editor.CreateSymbolicLink(directory, name, target), uid, gid));

    /// <summary>
    /// Creates a device file, named pipe or socket <paramref name="name"/> in <paramref name="directory"/> (mknod);
    /// a device file records <paramref name="major"/> and <paramref name="minor"/>. Such files hold no data:
    /// opening one as a stream is refused.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not a device file, pipe or socket, or a pipe or socket was given a device number.</exception>
    public VexFileInfo CreateSpecialFile(long directory, string name, UnixFileType type, int permissions = 0x1A4, uint major = 0, uint minor = 0, uint uid = 0, uint gid = 0) =>
        Mutate(editor => Own(editor, editor.CreateSpecialFile(directory, name, type, permissions, major, minor), uid, gid));

    /// <summary>Adds the name <paramref name="name"/> in <paramref name="directory"/> for inode <paramref name="inode"/>.</summary>
    public VexFileInfo CreateHardLink(long directory, string name, long inode) => Mutate(editor =>
    {
        editor.Link(directory, name, inode);
        return Describe(editor, inode);
    });

    /// <summary>Removes the non-directory entry <paramref name="name"/> of <paramref name="directory"/>.</summary>
    public void Unlink(long directory, string name) => Mutate(editor =>
    {
        DirectoryNames.Validate(name, nameof(name));
        var entry = RequireEntry(editor, directory, name);
        if (entry.Type == UnixFileType.Directory)
        {
            throw new VexFsException(VexErrorKind.IsADirectory, $"'{name}' is a directory.");
        }

        editor.Unlink(directory, name);
    });

    /// <summary>Removes the empty directory <paramref name="name"/> of <paramref name="directory"/>.</summary>
    public void RemoveDirectory(long directory, string name) => Mutate(editor =>
    {
        DirectoryNames.Validate(name, nameof(name));
        if (RequireEntry(editor, directory, name).Type != UnixFileType.Directory)
        {
            throw new VexFsException(VexErrorKind.NotADirectory, $"'{name}' is not a directory.");
        }

        editor.Unlink(directory, name);
    });

    /// <summary>
    /// Renames an entry, atomically; with <paramref name="overwrite"/>, a file (or an empty directory) of the new
    /// name is replaced.
    /// </summary>
    public void Rename(long directory, string name, long newDirectory, string newName, bool overwrite = true) => Mutate(editor =>
    {
        DirectoryNames.Validate(name, nameof(name));
        DirectoryNames.Validate(newName, nameof(newName));
        RequireEntry(editor, directory, name);
        RequireDirectory(editor, newDirectory);
        if (!overwrite && editor.Lookup(newDirectory, newName) is not null && !(directory == newDirectory && name == newName))
        {
            throw new VexFsException(VexErrorKind.AlreadyExists, $"'{newName}' already exists in directory {newDirectory}.");
        }

        editor.Rename(directory, name, newDirectory, newName);
    });

    /// <summary>
    /// Swaps two entries atomically (rename with RENAME_EXCHANGE): <paramref name="name"/> in
    /// <paramref name="directory"/> then links to what <paramref name="otherName"/> in
    /// <paramref name="otherDirectory"/> did, and the other way round. Both must exist.
    /// </summary>
    public void Exchange(long directory, string name, long otherDirectory, string otherName) => Mutate(editor =>
    {
        DirectoryNames.Validate(name, nameof(name));
        DirectoryNames.Validate(otherName, nameof(otherName));
        RequireEntry(editor, directory, name);
        RequireEntry(editor, otherDirectory, otherName);
        editor.Exchange(directory, name, otherDirectory, otherName);
    });

    /// <summary>The directory that holds directory <paramref name="directory"/>, what '..' in it names (the root's is the root).</summary>
    public long ParentOf(long directory) => Query(editor =>
    {
        RequireDirectory(editor, directory);
        return editor.ParentOf(directory);
    });

    /// <summary>Opens the regular file <paramref name="inode"/> as a stream; the file stays alive while it is open.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="access"/> or <paramref name="share"/> is not a defined value.</exception>
    /// <exception cref="UnauthorizedAccessException">The inode is a directory, symbolic link, device file, pipe or socket.</exception>
    public VexFileStream OpenFile(long inode, FileAccess access, FileShare share = FileShare.ReadWrite | FileShare.Delete)
    {
        RequireDefined(access, share);
        return Query(editor =>
        {
            RequireRegularFile(Describe(editor, inode).Type, $"Inode {inode}");
            return new VexFileStream(this, inode, access, share, 0);
        });
    }

    /// <summary>Reads file <paramref name="inode"/> at <paramref name="offset"/>; returns the bytes read (0 at the end).</summary>
    public int Read(long inode, long offset, Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return ReadAt(inode, offset, buffer);
    }

    /// <summary>Writes <paramref name="data"/> into file <paramref name="inode"/> at <paramref name="offset"/>.</summary>
    public void Write(long inode, long offset, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        WriteAt(inode, offset, data, accepted: null);
    }

    /// <summary>
    /// Writes <paramref name="data"/> into file <paramref name="inode"/> at <paramref name="offset"/>, and calls
    /// <paramref name="accepted"/> once the write can no longer be refused: its blocks are allocated and the file's
    /// size and times changed, and only the data is left to move. A host that answers its caller from
    /// <paramref name="accepted"/> lets the caller's next request in while the data moves, as a kernel's page cache
    /// does. The data is written whatever <paramref name="accepted"/> does, and the method returns once it is; a
    /// device error after that point latches the instance read-only, so that the next <see cref="Flush"/> reports it
    /// (as fsync reports a failed writeback). Reads of the file wait for the data, and a flush commits it.
    /// </summary>
    /// <param name="inode">The file.</param>
    /// <param name="offset">Where the data goes.</param>
    /// <param name="data">The bytes to write.</param>
    /// <param name="accepted">Called at most once, on the calling thread; it should not throw.</param>
    public void Write(long inode, long offset, ReadOnlySpan<byte> data, Action accepted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentNullException.ThrowIfNull(accepted);
        WriteAt(inode, offset, data, accepted);
    }

    /// <summary>Truncates or extends file <paramref name="inode"/> to <paramref name="length"/> bytes.</summary>
    public void SetLength(long inode, long length) => SetLengthOf(inode, length);

    /// <summary>
    /// Preallocates <paramref name="length"/> bytes at <paramref name="offset"/> of file <paramref name="inode"/>
    /// (fallocate): the blocks read as zeros until written, and writes there cannot run out of space. Without
    /// <paramref name="keepSize"/> the file grows to cover the range.
    /// </summary>
    /// <exception cref="BlockDevices.DiskFullException">The space is not there; nothing was allocated.</exception>
    public void Allocate(long inode, long offset, long length, bool keepSize = false) => Mutate(editor => editor.Allocate(inode, offset, length, keepSize));

    /// <summary>
    /// The first offset at or after <paramref name="offset"/> of file <paramref name="inode"/> that holds data
    /// (lseek's SEEK_DATA), or null when none does before the end; blocks preallocated and not yet written
    /// count as a hole.
    /// </summary>
    public long? NextData(long inode, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return Query(editor => editor.Seek(inode, offset, hole: false));
    }

    /// <summary>
    /// The first offset at or after <paramref name="offset"/> of file <paramref name="inode"/> in a hole
    /// (lseek's SEEK_HOLE); the end of the file counts as one.
    /// </summary>
    public long NextHole(long inode, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return Query(editor => editor.Seek(inode, offset, hole: true)!.Value);
    }

    /// <summary>The target of the symbolic link <paramref name="inode"/>.</summary>
    public string ReadLink(long inode) => Query(editor => LinkTarget(editor, inode));

    private const int CookieShift = 2;

    /// <summary>The cookie after an entry whose hash is the largest: every cookie past it lists nothing.</summary>
    private const long EndCookie = (long)(ulong.MaxValue >> CookieShift) + 1;

    private static VexFileInfo Describe(FileSystemEditor editor, long number)
    {
        var inode = editor.TryReadInUse(number) ?? throw new FileNotFoundException($"Inode {number} does not exist or is not in use.");

        return new VexFileInfo(
            number,
            inode.Mode.Type(),
            inode.Mode.Permissions(),
            inode.Size,
            inode.LinkCount,
            inode.Uid,
            inode.Gid,
            inode.Blocks,
            FromNs(inode.ModifyTimeNs),
            FromNs(inode.ChangeTimeNs),
            FromNs(inode.AccessTimeNs),
            FromNs(inode.CreateTimeNs))
        {
            DeviceMajor = inode.Device.Major,
            DeviceMinor = inode.Device.Minor,
        };
    }

    private static VexFileInfo Change(FileSystemEditor editor, long inode, VexInfoChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        editor.SetAttributes(inode, change.Permissions, change.Uid, change.Gid, ToNs(change.AccessedTime), ToNs(change.ModifiedTime));
        return Describe(editor, inode);
    }

    private static VexFileInfo Own(FileSystemEditor editor, long inode, uint uid, uint gid)
    {
        if (uid != 0 || gid != 0)
        {
            editor.SetAttributes(inode, uid: uid, gid: gid);
        }

        return Describe(editor, inode);
    }

    private static string LinkTarget(FileSystemEditor editor, long number)
    {
        Describe(editor, number);
        var inode = editor.ReadInode(number);
        if (inode.Mode.Type() != UnixFileType.SymbolicLink)
        {
            throw new VexFsException(VexErrorKind.InvalidKind, $"Inode {number} is not a symbolic link.");
        }

        if (inode.Flags.HasFlag(InodeFlags.InlineSymlink))
        {
            return Encoding.UTF8.GetString(inode.Root, 0, (int)inode.Size);
        }

        var bytes = new byte[inode.Size];
        editor.Read(number, 0, bytes, UnixFileType.SymbolicLink);
        return Encoding.UTF8.GetString(bytes);
    }

    private static void RequireDirectory(FileSystemEditor editor, long directory)
    {
        if (Describe(editor, directory).Type != UnixFileType.Directory)
        {
            throw new DirectoryNotFoundException($"Inode {directory} is not a directory.").With(VexErrorKind.NotADirectory);
        }
    }

    /// <summary>Refuses a stream on anything but a regular file: a directory as is-a-directory, the rest as the wrong kind.</summary>
    private static void RequireRegularFile(UnixFileType type, string what)
    {
        if (type != UnixFileType.RegularFile)
        {
            throw new UnauthorizedAccessException($"{what} is a {type}, not a regular file.")
                .With(type == UnixFileType.Directory ? VexErrorKind.IsADirectory : VexErrorKind.InvalidKind);
        }
    }

    private static void RequireDefined(FileAccess access, FileShare share)
    {
        if (access is not (FileAccess.Read or FileAccess.Write or FileAccess.ReadWrite))
        {
            throw new ArgumentOutOfRangeException(nameof(access), access, "Not a defined FileAccess.");
        }

        const FileShare AllShares = FileShare.ReadWrite | FileShare.Delete | FileShare.Inheritable;
        if ((share & ~AllShares) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(share), share, "Not a defined combination of FileShare flags.");
        }
    }

    private static DirectoryEntry RequireEntry(FileSystemEditor editor, long directory, string name)
    {
        RequireDirectory(editor, directory);
        return editor.Lookup(directory, name) ?? throw new FileNotFoundException($"'{name}' does not exist in directory {directory}.", name);
    }

    private static DateTimeOffset FromNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / TimeSpan.NanosecondsPerTick);

    private static long? ToNs(DateTimeOffset? time) => time is { } t ? (t - DateTimeOffset.UnixEpoch).Ticks * TimeSpan.NanosecondsPerTick : null;
}
