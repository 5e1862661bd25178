using System.Buffers.Binary;

namespace VexFs.Samples;

/// <summary>
/// struct vexfs_search: one page of a top-k search of a directory, in and out of the search ioctl. The query
/// travels in the message (up to <see cref="QueryCapacity"/> components) or, flagged <see cref="Staged"/>, was
/// staged before on the same directory descriptor. Each call runs the search and answers the hits of ranks
/// <c>first</c> to <c>first + count - 1</c>: a caller pages through k above <see cref="HitCapacity"/> by calling
/// again with the next <c>first</c>, and the pages agree while the vectors searched do not change. Hits name
/// files by inode number; the caller finds their names (readdir, or a walk of the subtree).
/// </summary>
internal sealed record SearchMessage(string Space, uint Flags, int K, int Effort, int First, float[] Query)
{
    // 0x00 u32 version (VectorIoctl.Version)
    // 0x04 u32 flags: Subtree 1, Exact 2, Staged 4
    // 0x08 u8[64] space name, UTF-8, NUL-padded
    // 0x48 u32 k: the hits wanted, 1 or more
    // 0x4C u32 ef: the graph search's candidate list, 0 for the space's own
    // 0x50 u32 first: the rank of the first hit this page answers
    // 0x54 u32 dimension: the query's components at 0x60 (0 when staged)
    // 0x58 u32 total (out): the hits found, at most k
    // 0x5C u32 count (out): the hits in this page
    // 0x60 in: f32[dimension] query; out: count hits of 16 bytes: u64 inode, f32 distance, u32 0
    private const int PayloadOffset = 0x60;
    private const int HitSize = 16;

    public const uint Subtree = 1;
    public const uint Exact = 2;
    public const uint Staged = 4;

    /// <summary>The most query components one message carries.</summary>
    public const int QueryCapacity = (VectorIoctl.Size - PayloadOffset) / sizeof(float);

    /// <summary>The most hits one page answers.</summary>
    public const int HitCapacity = (VectorIoctl.Size - PayloadOffset) / HitSize;

    public void WriteTo(Span<byte> message)
    {
        if (Query.Length > QueryCapacity)
        {
            throw new ArgumentException($"A search ioctl carries a query of at most {QueryCapacity} components; stage a longer one.");
        }

        message[..VectorIoctl.Size].Clear();
        VectorIoctl.WriteHead(message, Flags, Space);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x48..], (uint)K);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x4C..], (uint)Effort);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x50..], (uint)First);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x54..], (uint)Query.Length);
        VectorIoctl.WriteFloats(message[PayloadOffset..], Query);
    }

    /// <exception cref="ArgumentException">A field is out of range: no space, k of 0, unknown flags, a query longer than fits.</exception>
    public static SearchMessage ReadFrom(ReadOnlySpan<byte> message)
    {
        string space = VectorIoctl.ReadSpace(message);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(message[0x04..]);
        uint k = BinaryPrimitives.ReadUInt32LittleEndian(message[0x48..]);
        uint ef = BinaryPrimitives.ReadUInt32LittleEndian(message[0x4C..]);
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(message[0x50..]);
        uint dimension = BinaryPrimitives.ReadUInt32LittleEndian(message[0x54..]);
        if ((flags & ~(Subtree | Exact | Staged)) != 0 || k is 0 or > int.MaxValue || ef > int.MaxValue || first > int.MaxValue || dimension > QueryCapacity
            || ((flags & Staged) != 0) != (dimension == 0))
        {
            throw new ArgumentException($"A search ioctl has flags {flags:x}, k {k}, ef {ef}, first {first} and a query of {dimension} components.");
        }

        return new SearchMessage(space, flags, (int)k, (int)ef, (int)first, VectorIoctl.ReadFloats(message[PayloadOffset..], (int)dimension));
    }

    /// <summary>Writes the answer over a message: the total found and the page's hits.</summary>
    public static void WriteHits(Span<byte> message, int total, ReadOnlySpan<(long Inode, float Distance)> hits)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x58..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(message[0x5C..], (uint)hits.Length);
        var payload = message[PayloadOffset..VectorIoctl.Size];
        payload.Clear();
        for (int i = 0; i < hits.Length; i++)
        {
            var hit = payload.Slice(i * HitSize, HitSize);
            BinaryPrimitives.WriteUInt64LittleEndian(hit, (ulong)hits[i].Inode);
            BinaryPrimitives.WriteSingleLittleEndian(hit[0x08..], hits[i].Distance);
        }
    }

    /// <summary>Reads an answer: the total found and the page's hits.</summary>
    /// <exception cref="InvalidDataException">The page claims more hits than fit.</exception>
    public static (int Total, (long Inode, float Distance)[] Hits) ReadHits(ReadOnlySpan<byte> message)
    {
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(message[0x58..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(message[0x5C..]);
        if (count > HitCapacity || total > int.MaxValue)
        {
            throw new InvalidDataException($"A search answer claims {count} hits in a page of at most {HitCapacity}.");
        }

        var hits = new (long, float)[count];
        for (int i = 0; i < hits.Length; i++)
        {
            var hit = message.Slice(PayloadOffset + (i * HitSize), HitSize);
            hits[i] = ((long)BinaryPrimitives.ReadUInt64LittleEndian(hit), BinaryPrimitives.ReadSingleLittleEndian(hit[0x08..]));
        }

        return ((int)total, hits);
    }
}
