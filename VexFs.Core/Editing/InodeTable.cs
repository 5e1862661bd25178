using CommunityToolkit.HighPerformance.Buffers;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>Reads and writes inodes in their groups' inode tables.</summary>
internal sealed class InodeTable(IBlockStore store, Allocator allocator)
{
    /// <summary>Inode-table blocks read together when one has to come from the device (ext4 reads 32 by default).</summary>
    public const int ReadaheadBlocks = 32;

    private Superblock Sb => allocator.Superblock;

    public Inode Read(long number)
    {
        var (table, tableBlock, offset) = Locate(number);
        long block = table + tableBlock;
        using var buffer = SpanOwner<byte>.Allocate(store.BlockSize);
        long window = tableBlock / ReadaheadBlocks * ReadaheadBlocks;
        store.ReadAhead(block, buffer.Span, table + window, (int)Math.Min(ReadaheadBlocks, allocator.Geometry.InodeTableBlocks - window));
        return Inode.ReadFrom(buffer.Span.Slice(offset, Sb.InodeSize), number, Sb.InodeSize, Sb.ChecksumSeed, block);
    }

    public void Write(long number, Inode inode)
    {
        var (table, tableBlock, offset) = Locate(number);
        long block = table + tableBlock;
        using var buffer = SpanOwner<byte>.Allocate(store.BlockSize);
        store.Read(block, buffer.Span);
        var slot = buffer.Span.Slice(offset, Sb.InodeSize);
        if (inode.IsFree)
        {
            slot.Clear();
        }
        else
        {
            inode.WriteTo(slot, number, Sb.InodeSize, Sb.ChecksumSeed);
        }

        store.Write(block, buffer.Span);
    }

    /// <summary>Where inode <paramref name="number"/> lives: its group's inode table, the block within it, the byte within that.</summary>
    private (long Table, long TableBlock, int Offset) Locate(long number)
    {
        var (group, index) = allocator.Geometry.LocateInode(number);
        int perBlock = allocator.Geometry.InodesPerBlock;
        return (allocator.Group(group).InodeTable, index / perBlock, index % perBlock * Sb.InodeSize);
    }
}
