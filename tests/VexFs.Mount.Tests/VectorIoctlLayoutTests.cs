using System.Buffers.Binary;
using VexFs.Samples;
using VexFs.Vectors;

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
        Assert.Equal(0x7FF8B606u, VectorIoctl.CreateSpace);
        Assert.Equal(0x7FF8B607u, VectorIoctl.DropSpace);
        Assert.Equal(0xFFF8B608u, VectorIoctl.ListSpaces);
        Assert.Equal(4072, VectorMessage.Capacity);
        Assert.Equal(4070, SearchMessage.QueryCapacity);
        Assert.Equal(1017, SearchMessage.HitCapacity);
        Assert.Equal(169, SpaceListMessage.Capacity);
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

    [Fact]
    public void A_space_message_carries_name_dimension_and_metric()
    {
        var message = new byte[VectorIoctl.Size];
        new SpaceMessage("text", 384, VectorMetric.Cosine).WriteTo(message);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(message));
        Assert.Equal("text\0"u8.ToArray(), message[0x08..0x0D]);
        Assert.Equal(384u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x48)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x4C)));
        Assert.Equal(new SpaceMessage("text", 384, VectorMetric.Cosine), SpaceMessage.ReadFrom(message));

        // A drop reads the name alone; a create refuses a metric or a dimension out of range.
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(0x4C), 4);
        Assert.Equal("text", SpaceMessage.ReadFrom(message, named: true).Space);
        Assert.Throws<ArgumentException>(() => SpaceMessage.ReadFrom(message));
        new SpaceMessage("text", VectorSpace.MaxDimension + 1, VectorMetric.L2).WriteTo(message);
        Assert.Throws<ArgumentException>(() => SpaceMessage.ReadFrom(message));
    }

    [Fact]
    public void A_space_list_asks_from_a_rank_and_answers_a_page()
    {
        var message = new byte[VectorIoctl.Size];
        SpaceListMessage.WriteQuestion(message, 3);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(message));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x48)));
        Assert.Equal(3, SpaceListMessage.First(message));

        SpaceEntry[] page = [new("emb", 8, VectorMetric.L2, 5, 2, 1), new("text", 384, VectorMetric.InnerProduct, 1L << 33, 0, 7)];
        SpaceListMessage.WriteAnswer(message, 9, page);
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x4C)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x50)));
        Assert.Equal("text\0"u8.ToArray(), message[(0x58 + 96)..(0x58 + 96 + 5)]);
        Assert.Equal(384u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x58 + 96 + 0x40)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(0x58 + 96 + 0x44)));
        Assert.Equal(1L << 33, BinaryPrimitives.ReadInt64LittleEndian(message.AsSpan(0x58 + 96 + 0x48)));
        Assert.Equal(7L, BinaryPrimitives.ReadInt64LittleEndian(message.AsSpan(0x58 + 96 + 0x58)));
        var (total, spaces) = SpaceListMessage.ReadAnswer(message);
        Assert.Equal(9, total);
        Assert.Equal(page, spaces);

        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(0x50), SpaceListMessage.Capacity + 1);
        Assert.Throws<ArgumentException>(() => SpaceListMessage.ReadAnswer(message));
    }
}
