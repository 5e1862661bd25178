using System.Buffers.Binary;
using VexFs.Samples;

namespace VexFs.Mount.Tests;

/// <summary>The vector ioctls' numbers and message layouts, byte by byte, as docs/vectors.md states them.</summary>
public sealed class VectorIoctlLayoutTests
{
    [Fact]
    public void The_numbers_encode_direction_size_type_and_number()
    {
        Assert.Equal(16_376, VectorIoctl.Size);
        Assert.Equal(0xFFF8B601u, VectorIoctl.GetVector);
        Assert.Equal(0x7FF8B602u, VectorIoctl.SetVector);
        Assert.Equal(0x7FF8B603u, VectorIoctl.RemoveVector);
        Assert.Equal(0x7FF8B604u, VectorIoctl.StageVector);
        Assert.Equal(0xFFF8B605u, VectorIoctl.Search);
        Assert.Equal(4072, VectorMessage.Capacity);
        Assert.Equal(4070, SearchMessage.QueryCapacity);
        Assert.Equal(1017, SearchMessage.HitCapacity);
    }

    [Fact]
    public void A_vector_message_lays_out_its_fields_at_their_offsets()
    {
        var message = new byte[VectorIoctl.Size];
        new VectorMessage("emb", 10, 2, [1.5f, -2f]).WriteTo(message);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(message));
        Assert.Equal("emb\0"u8.ToArray(), message[0x08..0x0C]);
        Assert.Equal(10u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x48)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x4C)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x50)));
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(message.AsSpan(0x58)));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(message.AsSpan(0x5C)));
        Assert.Equal(new VectorMessage("emb", 10, 2, [1.5f, -2f]).Components, VectorMessage.ReadFrom(message).Components);

        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(0x4C), 9);
        Assert.Throws<ArgumentException>(() => VectorMessage.ReadFrom(message));
    }

    [Fact]
    public void A_search_message_carries_its_query_in_and_its_hits_out()
    {
        var message = new byte[VectorIoctl.Size];
        new SearchMessage("emb", SearchMessage.Subtree | SearchMessage.Exact, 25, 64, 3, [0.25f]).WriteTo(message);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x04)));
        Assert.Equal(25u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x48)));
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x4C)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x50)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x54)));
        Assert.Equal(0.25f, BinaryPrimitives.ReadSingleLittleEndian(message.AsSpan(0x60)));
        var read = SearchMessage.ReadFrom(message);
        Assert.Equal((25, 64, 3), (read.K, read.Effort, read.First));

        SearchMessage.WriteHits(message, 40, [(7, 0.5f), (1L << 40, 2f)]);
        Assert.Equal(40u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x58)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x5C)));
        Assert.Equal(1UL << 40, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(0x70)));
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(message.AsSpan(0x78)));
        var (total, hits) = SearchMessage.ReadHits(message);
        Assert.Equal(40, total);
        Assert.Equal([(7L, 0.5f), (1L << 40, 2f)], hits);

        // A staged search carries no query; one that is not staged carries one.
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(0x04), SearchMessage.Staged);
        Assert.Throws<ArgumentException>(() => SearchMessage.ReadFrom(message));
    }
}
