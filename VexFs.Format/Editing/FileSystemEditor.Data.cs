using System.Buffers;
using VexFs.Format.Records;

namespace VexFs.Format.Editing;

/// <summary>File contents: reads and writes in runs of contiguous blocks, one device request per run.</summary>
internal sealed partial class FileSystemEditor
{
    /// <summary>The most bytes one allocation asks for when a write fills a hole.</summary>
    private const int MaxRunBytes = 8 << 20;

    /// <summary>Reads from a file at <paramref name="offset"/>; holes read as zeros. Returns the bytes read.</summary>
    public int Read(long number, long offset, Span<byte> buffer)
    {
        var inode = _inodes.Read(number);
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
    public void Write(long number, long offset, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var inode = _inodes.Read(number);
        int blockSize = _store.BlockSize;
        for (int done = 0; done < data.Length;)
        {
            long position = offset + done;
            long fileBlock = position / blockSize;
            int within = (int)(position % blockSize);
            var extent = _extents.Find(inode, number, fileBlock);
            if (extent is { Unwritten: true })
            {
                throw new IOException($"Inode {number} has an unwritten extent at file block {fileBlock}; writing into preallocated space is not supported.");
            }

            if (extent is { } mapped)
            {
                done += WriteMapped(mapped.Physical + (fileBlock - mapped.Logical), mapped.LogicalEnd - fileBlock, within, data[done..]);
                continue;
            }

            long wanted = Math.Min(MaxRunBytes, within + data.Length - done + blockSize - 1) / blockSize;
            long goal = fileBlock > 0 && _extents.Find(inode, number, fileBlock - 1) is { } previous
                ? previous.Physical + (fileBlock - 1 - previous.Logical) + 1
                : _allocator.Geometry.GroupStart(_allocator.Geometry.LocateInode(number).Group);
            int run = (int)Math.Min(wanted, HoleLength(inode, number, fileBlock));
            var (physical, length) = _allocator.AllocateBlocks(goal, run);
            inode = _extents.Insert(inode, number, new Extent(fileBlock, physical, length));
            inode = inode with { Blocks = inode.Blocks + length };
            done += WriteFresh(physical, length, within, data[done..]);
        }

        _inodes.Write(number, inode with { Size = Math.Max(inode.Size, offset + data.Length), ModifyTimeNs = Now, ChangeTimeNs = Now });
    }

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

    /// <summary>Writes into mapped blocks (at most <paramref name="blocks"/> of them); returns the bytes written.</summary>
    private int WriteMapped(long physical, long blocks, int within, ReadOnlySpan<byte> data)
    {
        int blockSize = _store.BlockSize;
        if (within == 0 && data.Length >= blockSize)
        {
            int whole = (int)Math.Min(blocks, data.Length / blockSize);
            _data.WriteBlocks(physical, data[..(whole * blockSize)]);
            return whole * blockSize;
        }

        int count = Math.Min(data.Length, blockSize - within);
        var block = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            _data.Read(physical, block);
            data[..count].CopyTo(block.AsSpan(within));
            _data.Write(physical, block);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }

        return count;
    }

    /// <summary>Writes newly allocated blocks, zero-filling what the data does not cover; returns the bytes written.</summary>
    private int WriteFresh(long physical, int blocks, int within, ReadOnlySpan<byte> data)
    {
        int blockSize = _store.BlockSize;
        int bytes = blocks * blockSize;
        int count = Math.Min(data.Length, bytes - within);
        if (within == 0 && count == bytes)
        {
            _data.WriteBlocks(physical, data[..bytes]);
            return count;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var run = buffer.AsSpan(0, bytes);
            run.Clear();
            data[..count].CopyTo(run[within..]);
            _data.WriteBlocks(physical, run);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return count;
    }
}
