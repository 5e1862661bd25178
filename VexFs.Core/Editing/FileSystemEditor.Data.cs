using System.Buffers;
using CommunityToolkit.HighPerformance.Buffers;
using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>File contents: reads and writes in runs of contiguous blocks, one device request per run.</summary>
internal sealed partial class FileSystemEditor
{
    /// <summary>The most bytes one allocation asks for when a write fills a hole.</summary>
    private const int MaxRunBytes = 8 << 20;

    /// <summary>
    /// Reads from a file (or, with <paramref name="kind"/> <see cref="UnixFileType.SymbolicLink"/>, a symbolic
    /// link's stored target) at <paramref name="offset"/>; holes read as zeros. Returns the bytes read.
    /// </summary>
    /// <exception cref="FileNotFoundException">The inode is not in use.</exception>
    /// <exception cref="UnauthorizedAccessException">The inode is not of <paramref name="kind"/>.</exception>
    public int Read(long number, long offset, Span<byte> buffer, UnixFileType kind = UnixFileType.RegularFile)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var inode = RequireKind(number, kind);
        if (offset >= inode.Size)
        {
            return 0;
        }

        int total = (int)Math.Min(buffer.Length, inode.Size - offset);
        int blockSize = _store.BlockSize;
        byte[]? block = null;
        try
        {
            for (int done = 0; done < total;)
            {
                long position = offset + done;
                long fileBlock = position / blockSize;
                int within = (int)(position % blockSize);
                int left = total - done;
                var extent = _extents.Find(inode, number, fileBlock);
                if (extent is not { Unwritten: false } mapped)
                {
                    int zeros = Math.Min(left, blockSize - within);
                    buffer.Slice(done, zeros).Clear();
                    done += zeros;
                    continue;
                }

                long physical = mapped.Physical + (fileBlock - mapped.Logical);
                if (within == 0 && left >= blockSize)
                {
                    int whole = (int)Math.Min(mapped.LogicalEnd - fileBlock, left / blockSize);
                    _data.ReadBlocks(physical, buffer.Slice(done, whole * blockSize));
                    done += whole * blockSize;
                    continue;
                }

                block ??= ArrayPool<byte>.Shared.Rent(blockSize);
                _data.Read(physical, block);
                int count = Math.Min(left, blockSize - within);
                block.AsSpan(within, count).CopyTo(buffer[done..]);
                done += count;
            }
        }
        finally
        {
            if (block is not null)
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }

        return total;
    }

    /// <summary>Writes into a file at <paramref name="offset"/>, allocating the blocks of holes it fills.</summary>
    public void Write(long number, long offset, ReadOnlySpan<byte> data) => WriteSegments(PlanWrite(number, offset, data.Length), data);

    /// <summary>
    /// The metadata half of a write: allocates the blocks of the holes that <paramref name="length"/> bytes at
    /// <paramref name="offset"/> fill, records the new size and times, and returns where the bytes go, for
    /// <see cref="WriteSegments"/> to write.
    /// </summary>
    public List<WriteSegment> PlanWrite(long number, long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var segments = new List<WriteSegment>();
        var inode = RequireKind(number, UnixFileType.RegularFile);
        RequireSize(offset, length);
        if (length == 0)
        {
            return segments;
        }

        int blockSize = _store.BlockSize;

        // Growing the file exposes the rest of its old last block, which must read as zeros: a crash may have
        // kept bytes there from a write whose new size was lost.
        long tailBlock = inode.Size / blockSize;
        int tail = (int)(inode.Size % blockSize);
        bool exposesTail = tail != 0 && offset + length > inode.Size;
        if (exposesTail && offset / blockSize > tailBlock && _extents.Find(inode, number, tailBlock) is { Unwritten: false } last)
        {
            segments.Add(new WriteSegment(last.Physical + (tailBlock - last.Logical), 1, tail, 0, 0, Fresh: false, ZeroFrom: tail));
        }

        for (int done = 0; done < length;)
        {
            long position = offset + done;
            long fileBlock = position / blockSize;
            int within = (int)(position % blockSize);
            int left = length - done;
            var extent = _extents.Find(inode, number, fileBlock);
            if (extent is { Unwritten: true } preallocated)
            {
                // Preallocated blocks read as zeros: what the data does not cover is zeroed, then they count as written.
                int blocks = (int)Math.Min(preallocated.LogicalEnd - fileBlock, Math.Min(MaxRunBytes, within + left + blockSize - 1) / blockSize);
                int bytes = Math.Min(left, (blocks * blockSize) - within);
                segments.Add(new WriteSegment(preallocated.Physical + (fileBlock - preallocated.Logical), blocks, within, done, bytes, Fresh: true));
                inode = _extents.MarkWritten(inode, number, fileBlock, blocks);
                done += bytes;
                continue;
            }

            if (extent is { } mapped)
            {
                long physical = mapped.Physical + (fileBlock - mapped.Logical);
                int whole = (int)Math.Min(mapped.LogicalEnd - fileBlock, left / blockSize);
                var segment = within == 0 && whole > 0
                    ? new WriteSegment(physical, whole, 0, done, whole * blockSize, Fresh: false)
                    : new WriteSegment(physical, 1, within, done, Math.Min(left, blockSize - within), Fresh: false, ZeroFrom: exposesTail && fileBlock == tailBlock ? tail : -1);
                segments.Add(segment);
                done += segment.Count;
                continue;
            }

            long wanted = Math.Min(MaxRunBytes, within + left + blockSize - 1) / blockSize;
            long goal = Goal(inode, number, fileBlock);
            int run = (int)Math.Min(wanted, HoleLength(inode, number, fileBlock));
            var (start, got) = _allocator.AllocateBlocks(goal, run);
            inode = _extents.Insert(inode, number, new Extent(fileBlock, start, got));
            inode = inode with { Blocks = inode.Blocks + got };
            int count = Math.Min(left, (got * blockSize) - within);
            segments.Add(new WriteSegment(start, got, within, done, count, Fresh: true));
            done += count;
        }

        _inodes.Write(number, inode with { Size = Math.Max(inode.Size, offset + length), ModifyTimeNs = Now, ChangeTimeNs = Now });
        return segments;
    }

    /// <summary>
    /// The data half of a write: puts the bytes where <see cref="PlanWrite"/> said. Touches file data only, so
    /// that writes to different files may run at once.
    /// </summary>
    public void WriteSegments(IReadOnlyList<WriteSegment> segments, ReadOnlySpan<byte> data)
    {
        int blockSize = _store.BlockSize;
        foreach (var segment in segments)
        {
            var bytes = data.Slice(segment.DataOffset, segment.Count);
            int span = segment.Blocks * blockSize;
            if (segment.Within == 0 && segment.Count == span)
            {
                _data.WriteBlocks(segment.Physical, bytes);
                continue;
            }

            using var buffer = SpanOwner<byte>.Allocate(span, segment.Fresh ? AllocationMode.Clear : AllocationMode.Default);
            if (!segment.Fresh)
            {
                _data.ReadBlocks(segment.Physical, buffer.Span);
                if (segment.ZeroFrom >= 0)
                {
                    buffer.Span[segment.ZeroFrom..].Clear();
                }
            }

            bytes.CopyTo(buffer.Span[segment.Within..]);
            _data.WriteBlocks(segment.Physical, buffer.Span);
        }
    }

    /// <summary>
    /// Preallocates the blocks of the holes in <paramref name="length"/> bytes at <paramref name="offset"/>, as
    /// fallocate does: they read as zeros until written, and later writes there cannot run out of space. Without
    /// <paramref name="keepSize"/> the file grows to cover the range.
    /// </summary>
    public void Allocate(long number, long offset, long length, bool keepSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var inode = RequireKind(number, UnixFileType.RegularFile);
        RequireSize(offset, length);
        int blockSize = _store.BlockSize;
        long end = (offset + length + blockSize - 1) / blockSize;
        for (long fileBlock = offset / blockSize; fileBlock < end;)
        {
            if (_extents.Find(inode, number, fileBlock) is { } mapped)
            {
                fileBlock = mapped.LogicalEnd;
                continue;
            }

            long goal = Goal(inode, number, fileBlock);
            long hole = Math.Min(end - fileBlock, HoleLength(inode, number, fileBlock));
            var (start, got) = _allocator.AllocateBlocks(goal, (int)Math.Min(hole, 1 << 20));
            inode = _extents.Insert(inode, number, new Extent(fileBlock, start, got, Unwritten: true));
            inode = inode with { Blocks = inode.Blocks + got };
            fileBlock += got;
        }

        _inodes.Write(number, inode with { Size = keepSize ? inode.Size : Math.Max(inode.Size, offset + length), ChangeTimeNs = Now });
    }

    /// <summary>
    /// Where data or a hole next begins at or after <paramref name="offset"/> of a file, as lseek's SEEK_DATA
    /// and SEEK_HOLE tell: with <paramref name="hole"/>, the start of the next hole (the end of the file is one);
    /// without, the start of the next data, or null when only holes remain. Preallocated blocks not yet
    /// written read as zeros and count as a hole, as on ext4.
    /// </summary>
    public long? Seek(long number, long offset, bool hole)
    {
        var inode = RequireKind(number, UnixFileType.RegularFile);
        int blockSize = _store.BlockSize;
        long position = offset / blockSize;
        foreach (var extent in _extents.All(inode, number))
        {
            if (extent.Unwritten || extent.Logical + extent.Length <= position)
            {
                continue;
            }

            if (extent.Logical > position)
            {
                // A hole from the position to this extent.
                if (hole)
                {
                    break;
                }

                position = extent.Logical;
            }

            if (!hole)
            {
                long data = Math.Max(offset, position * blockSize);
                return data < inode.Size ? data : null;
            }

            position = extent.Logical + extent.Length;
        }

        return hole ? Math.Min(inode.Size, Math.Max(offset, position * blockSize)) : null;
    }

    /// <summary>
    /// Inode <paramref name="number"/>, which must be in use and of <paramref name="kind"/>: a directory where
    /// another kind is wanted is refused as <see cref="VexErrorKind.IsADirectory"/>, anything else as
    /// <see cref="VexErrorKind.InvalidKind"/>.
    /// </summary>
    private Inode RequireKind(long number, UnixFileType kind)
    {
        var inode = RequireInUse(number);
        var type = inode.Mode.Type();
        if (type == kind)
        {
            return inode;
        }

        throw new UnauthorizedAccessException($"Inode {number} is a {type}, not a {kind}.")
            .With(type == UnixFileType.Directory ? VexErrorKind.IsADirectory : VexErrorKind.InvalidKind);
    }

    /// <summary>Refuses a file that would end past <see cref="MaxFileSize"/>.</summary>
    private void RequireSize(long offset, long length)
    {
        if (offset > MaxFileSize || length > MaxFileSize - offset)
        {
            throw new VexFsException(VexErrorKind.FileTooLarge, $"{length} bytes at offset {offset} would end past the largest file size, {MaxFileSize} bytes.");
        }
    }

    /// <summary>Where to look for a block for <paramref name="fileBlock"/>: after the block before it, else at the start of the inode's group.</summary>
    private long Goal(Inode inode, long number, long fileBlock) =>
        fileBlock > 0 && _extents.Find(inode, number, fileBlock - 1) is { } previous
            ? previous.Physical + (fileBlock - 1 - previous.Logical) + 1
            : HomeGroupStart(number);

    /// <summary>How many blocks from <paramref name="fileBlock"/> (a hole) are unmapped, up to the next extent.</summary>
    private long HoleLength(Inode inode, long number, long fileBlock)
    {
        long next = long.MaxValue;
        foreach (var extent in _extents.All(inode, number))
        {
            if (extent.Logical > fileBlock)
            {
                next = Math.Min(next, extent.Logical);
            }
        }

        return next - fileBlock;
    }
}

/// <summary>
/// Where part of a write goes: <paramref name="Count"/> bytes of the data from <paramref name="DataOffset"/>,
/// into <paramref name="Blocks"/> device blocks from <paramref name="Physical"/>, starting at byte
/// <paramref name="Within"/> of the first. Fresh blocks were just allocated: what the data does not cover is
/// zeroed; other blocks keep their bytes around it, except from byte <paramref name="ZeroFrom"/> on (when it
/// is not -1), which was past the old end of the file and is zeroed.
/// </summary>
internal readonly record struct WriteSegment(long Physical, int Blocks, int Within, int DataOffset, int Count, bool Fresh, int ZeroFrom = -1);
