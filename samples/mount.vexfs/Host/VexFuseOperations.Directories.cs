using MountVexfs.Fuse;
using VexFs.Core;
using VexFs.Format.Records;

namespace MountVexfs.Host;

/// <summary>
/// Directory listings: readdir and readdirplus resume at the offset of the last entry taken. Offsets 1 and 2
/// follow '.' and '..'; every entry after them carries its listing cookie plus 2, so a listing survives any
/// change to the directory between requests, as <see cref="VexFileSystem.ReadDirectory"/> promises.
/// </summary>
internal sealed partial class VexFuseOperations
{
    private const int DirectoryType = (int)UnixFileType.Directory >> 12;

    private int OpenDirectory(FuseRequest request, Reply reply)
    {
        if (_fs.GetInfo(InodeOf(request)).Type != UnixFileType.Directory)
        {
            return Errno.Enotdir;
        }

        Wire.WriteOpenOut(reply.Append(Wire.OpenOutSize), _directories.Open(), 0);
        return 0;
    }

    private int ReleaseDirectory(ref ArgumentReader args)
    {
        // fuse_release_in: 0x00 u64 fh ...
        _directories.Close(args.U64());
        return 0;
    }

    private int ReadDirectory(FuseRequest request, ref ArgumentReader args, Reply reply, bool plus)
    {
        // fuse_read_in: 0x00 u64 fh   0x08 u64 offset   0x10 u32 size ...
        args.U64();
        ulong offset = args.U64();
        int size = (int)Math.Min(args.U32(), FuseSession.MaxWrite);
        long directory = InodeOf(request);
        var room = reply.Reserve(size);
        int used = 0;
        if (offset == 0 && !Put(room, ref used, ".", directory, 1, DirectoryType, null, plus))
        {
            reply.Commit(used);
            return 0;
        }

        if (offset <= 1 && !Put(room, ref used, "..", _fs.ParentOf(directory), 2, DirectoryType, null, plus))
        {
            reply.Commit(used);
            return 0;
        }

        long cookie = offset <= 2 ? 0 : (long)Math.Min(offset - 2, long.MaxValue);
        while (true)
        {
            var page = _fs.ReadDirectory(directory, cookie, Math.Max(8, size / 32));
            if (page.Count == 0)
            {
                break;
            }

            // Entries that share a cookie go out together or not at all: the next request resumes after them.
            int whole = used;
            for (int i = 0; i < page.Count; i++)
            {
                var entry = page[i];
                if (i > 0 && entry.NextCookie != page[i - 1].NextCookie)
                {
                    whole = used;
                }

                VexFileInfo? info = plus ? Describe(entry.Inode) : null;
                if (!Put(room, ref used, entry.Name, entry.Inode, entry.NextCookie + 2, (int)entry.Type >> 12, info, plus))
                {
                    reply.Commit(whole > 0 ? whole : used);
                    return 0;
                }
            }

            cookie = page[^1].NextCookie;
        }

        reply.Commit(used);
        return 0;
    }

    /// <summary>Attributes for a readdirplus entry, or null when the entry went away meanwhile (the kernel then skips it).</summary>
    private VexFileInfo? Describe(long inode)
    {
        try
        {
            return _fs.GetInfo(inode);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private bool Put(Span<byte> room, ref int used, string name, long inode, long next, int type, VexFileInfo? info, bool plus)
    {
        int nameBytes = Names.ByteCount(name);
        int entrySize = plus ? Wire.EntryOutSize : 0;
        int size = entrySize + Wire.DirentSize(nameBytes);
        if (used + size > room.Length)
        {
            return false;
        }

        var record = room.Slice(used, size);
        record.Clear();
        if (info is { } attributes)
        {
            WriteEntry(record, attributes);
        }

        Wire.WriteDirent(record[entrySize..], inode, next, name, nameBytes, (uint)type);
        used += size;
        return true;
    }
}
