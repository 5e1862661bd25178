using CommunityToolkit.HighPerformance.Buffers;
using VexFs.Format.Records;

namespace VexFs.Format.Editing;

/// <summary>Reads and writes inodes in their groups' inode tables.</summary>
internal sealed class InodeTable(IBlockStore store, Allocator allocator)
{
    private Superblock Sb => allocator.Superblock;

    public Inode Read(long number)
    {
        var (block, offset) = Locate(number);
        using var buffer = SpanOwner<byte>.Allocate(store.BlockSize);
        store.Read(block, buffer.Span);
        return Inode.ReadFrom(buffer.Span.Slice(offset, Sb.InodeSize), number, Sb.InodeSize, Sb.ChecksumSeed, block);
    }

    public void Write(long number, Inode inode)
    {
        var (block, offset) = Locate(number);
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

    private (long Block, int Offset) Locate(long number)
    {
        var (group, index) = allocator.Geometry.LocateInode(number);
        int perBlock = allocator.Geometry.InodesPerBlock;
        return (allocator.Group(group).InodeTable + (index / perBlock), index % perBlock * Sb.InodeSize);
    }
}
