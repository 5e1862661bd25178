using MountVexfs.Fuse;
using VexFs.Core;
using VexFs.Samples;

namespace MountVexfs.Host;

/// <summary>
/// The vector ioctls (<see cref="VectorIoctl"/>): get, set and remove a file's vector, stage a long query on a
/// directory and search it; list, create and drop vector spaces. Any other ioctl is ENOTTY, as on a filesystem
/// that has none.
/// </summary>
internal sealed partial class VexFuseOperations
{
    private const uint IoctlUnrestricted = 1 << 1;
    private const uint IoctlDirectory = 1 << 4;

    // fuse_ioctl_out: 0x00 i32 result   0x04 u32 flags   0x08 u32 in_iovs   0x0C u32 out_iovs; then the out buffer
    private const int IoctlOutSize = 16;

    private int Ioctl(FuseRequest request, ref ArgumentReader args, Reply reply)
    {
        // fuse_ioctl_in: 0x00 u64 fh   0x08 u32 flags   0x0C u32 cmd   0x10 u64 arg   0x18 u32 in_size   0x1C u32 out_size;
        // then in_size bytes
        ulong handle = args.U64();
        uint flags = args.U32();
        uint command = args.U32();
        args.Skip(8);
        uint inSize = args.U32();
        args.Skip(4);
        bool known = command is VectorIoctl.GetVector or VectorIoctl.SetVector or VectorIoctl.RemoveVector or VectorIoctl.StageVector or VectorIoctl.Search
            or VectorIoctl.CreateSpace or VectorIoctl.DropSpace or VectorIoctl.ListSpaces;
        if (!known || (flags & IoctlUnrestricted) != 0)
        {
            return Errno.Enotty;
        }

        // The number encodes the size, so the kernel sends exactly one message.
        var message = args.Bytes((int)inSize);
        if (message.Length != VectorIoctl.Size)
        {
            return Errno.Einval;
        }

        if (VectorIoctl.VersionOf(message) != VectorIoctl.Version)
        {
            return Errno.Eproto;
        }

        bool directory = (flags & IoctlDirectory) != 0;
        long inode = InodeOf(request);
        return command switch
        {
            VectorIoctl.ListSpaces => ListSpaces(SpaceListMessage.First(message), message, reply),
            VectorIoctl.CreateSpace or VectorIoctl.DropSpace when !MayChangeSpaces(request) => Errno.Eperm,
            VectorIoctl.CreateSpace => CreateSpace(SpaceMessage.ReadFrom(message), reply),
            VectorIoctl.DropSpace => DropSpace(SpaceMessage.ReadFrom(message, named: true), reply),
            VectorIoctl.GetVector => GetVector(inode, VectorMessage.ReadFrom(message), reply),
            VectorIoctl.SetVector or VectorIoctl.RemoveVector when !directory && !_files.CanWrite(handle) => Errno.Ebadf,
            VectorIoctl.SetVector => SetVector(inode, VectorMessage.ReadFrom(message), reply),
            VectorIoctl.RemoveVector => _fs.RemoveVector(inode, VectorMessage.ReadFrom(message).Space) ? Answered(reply) : Errno.Enodata,
            _ when !directory => Errno.Enotdir,
            VectorIoctl.StageVector => Stage(handle, VectorMessage.ReadFrom(message), reply),
            _ => Search(inode, handle, SearchMessage.ReadFrom(message), message, reply),
        };
    }

    private int GetVector(long inode, VectorMessage asked, Reply reply)
    {
        var vector = _fs.GetVector(inode, asked.Space);
        if (vector is null)
        {
            return Errno.Enodata;
        }

        if (asked.First > vector.Length)
        {
            return Errno.Einval;
        }

        var piece = vector.AsSpan(asked.First, Math.Min(VectorMessage.Capacity, vector.Length - asked.First)).ToArray();
        Answered(reply);
        new VectorMessage(asked.Space, vector.Length, asked.First, piece).WriteTo(reply.Append(VectorIoctl.Size));
        return 0;
    }

    /// <summary>Sets the whole vector the message carries (a longer one goes through the attribute).</summary>
    private int SetVector(long inode, VectorMessage vector, Reply reply)
    {
        if (vector.First != 0 || vector.Components.Length != vector.Dimension)
        {
            return Errno.Einval;
        }

        _fs.SetVector(inode, vector.Space, vector.Components);
        return Answered(reply);
    }

    private int Stage(ulong handle, VectorMessage piece, Reply reply)
    {
        _directories.Stage(handle, piece.Dimension, piece.First, piece.Components);
        return Answered(reply);
    }

    /// <summary>Runs the search and answers the page of hits from rank <c>first</c>, over the message.</summary>
    private int Search(long directory, ulong handle, SearchMessage search, ReadOnlySpan<byte> message, Reply reply)
    {
        var query = (search.Flags & SearchMessage.Staged) != 0 ? _directories.Staged(handle) : search.Query;

        // A search finds at most the space's vectors, and a candidate list longer than them finds nothing more: a
        // caller's k or ef of billions is cut to that, rather than sizing the host's buffers.
        long vectors = _fs.GetVectorSpaces().FirstOrDefault(s => s.Name == search.Space)?.Count ?? 0;
        int most = (int)Math.Clamp(vectors, 1, int.MaxValue);
        var options = new VexSearchOptions
        {
            Subtree = (search.Flags & SearchMessage.Subtree) != 0,
            Exact = (search.Flags & SearchMessage.Exact) != 0,
            Effort = search.Effort == 0 ? null : Math.Min(search.Effort, most),
        };
        var hits = _fs.Search(directory, search.Space, query, Math.Min(search.K, most), options);
        var page = hits.Skip(search.First).Take(SearchMessage.HitCapacity).Select(h => (h.Inode, h.Distance)).ToArray();
        Answered(reply);
        var answer = reply.Append(VectorIoctl.Size);
        message.CopyTo(answer);
        SearchMessage.WriteHits(answer, hits.Count, page);
        return 0;
    }

    /// <summary>Spaces belong to the whole filesystem: root, or the owner of its root directory, changes them.</summary>
    private bool MayChangeSpaces(FuseRequest request) => request.Uid == 0 || request.Uid == _fs.GetInfo(_fs.RootInode).Uid;

    private int CreateSpace(SpaceMessage space, Reply reply)
    {
        _fs.CreateVectorSpace(space.Space, space.Dimension, space.Metric);
        return Answered(reply);
    }

    private int DropSpace(SpaceMessage space, Reply reply)
    {
        _fs.DropVectorSpace(space.Space);
        return Answered(reply);
    }

    /// <summary>Answers the page of spaces from rank <paramref name="first"/> (they come by name), over the message.</summary>
    private int ListSpaces(int first, ReadOnlySpan<byte> message, Reply reply)
    {
        var spaces = _fs.GetVectorSpaces();
        var page = spaces.Skip(first).Take(SpaceListMessage.Capacity)
            .Select(s => new SpaceEntry(s.Name, s.Dimension, s.Metric, s.Count, s.IndexGeneration, s.UnsavedChanges)).ToArray();
        Answered(reply);
        var answer = reply.Append(VectorIoctl.Size);
        message.CopyTo(answer);
        SpaceListMessage.WriteAnswer(answer, spaces.Count, page);
        return 0;
    }

    /// <summary>The fuse_ioctl_out of a call that succeeded: result 0, no retry.</summary>
    private static int Answered(Reply reply)
    {
        reply.Append(IoctlOutSize);
        return 0;
    }
}
