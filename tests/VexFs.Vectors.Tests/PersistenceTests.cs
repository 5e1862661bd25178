using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Persistence;
using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Tests;

public sealed class PersistenceTests
{
    private const int Dimension = 20;

    private static readonly float[][] Queries = TestData.Mixture(40, Dimension, seed: 42);

    private static HnswIndex Build(VectorQuantization quantization, VectorMetric metric = VectorMetric.L2, int count = 1500)
    {
        var index = new HnswIndex(
            new VectorSpace(Dimension, metric),
            HnswOptions.Default with { M = 8, EfConstruction = 48, Quantization = quantization, QuantizationTrainingSize = 500 });
        var vectors = TestData.Mixture(count, Dimension, seed: 41);
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add(i * 7, vectors[i]);
        }

        return index;
    }

    private static void AssertSameAnswers(HnswIndex expected, HnswIndex actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.DeletedCount, actual.DeletedCount);
        Assert.Equal(expected.IsQuantized, actual.IsQuantized);
        Assert.Equal(expected.Options, actual.Options);
        var filter = VectorFilter.Where(id => id % 3 == 0);
        foreach (var query in Queries)
        {
            Assert.Equal(expected.Search(query, 10), actual.Search(query, 10));
            Assert.Equal(expected.Search(query, 5, 200), actual.Search(query, 5, 200));
            Assert.Equal(expected.Search(query, 10, filter), actual.Search(query, 10, filter));
        }
    }

    [Theory]
    [InlineData(VectorQuantization.None, VectorMetric.L2)]
    [InlineData(VectorQuantization.ScalarInt8, VectorMetric.L2)]
    [InlineData(VectorQuantization.ScalarInt8, VectorMetric.Cosine)]
    [InlineData(VectorQuantization.None, VectorMetric.InnerProduct)]
    [InlineData(VectorQuantization.Binary, VectorMetric.L2)]
    [InlineData(VectorQuantization.Binary, VectorMetric.InnerProduct)]
    [InlineData(VectorQuantization.TwoBit, VectorMetric.Cosine)]
    [InlineData(VectorQuantization.FourBit, VectorMetric.L2)]
    public void A_reopened_index_answers_exactly_as_before(VectorQuantization quantization, VectorMetric metric)
    {
        using var index = Build(quantization, metric);
        var store = new MemoryPageStore(4096);
        index.Save(store);
        Assert.Equal(1, store.Flushes);
        using var reopened = HnswIndex.Load(store);
        AssertSameAnswers(index, reopened);
        Assert.Equal(index.GetVector(70), reopened.GetVector(70));
    }

    [Fact]
    public void Tombstones_and_free_slots_survive_a_round_trip_and_the_index_keeps_working()
    {
        using var index = Build(VectorQuantization.None);
        for (var i = 0; i < 300; i++)
        {
            index.Remove(i * 7);
        }

        index.Compact();
        for (var i = 300; i < 400; i++)
        {
            index.Remove(i * 7);
        }

        var store = new MemoryPageStore(1024);
        index.Save(store);
        using var reopened = HnswIndex.Load(store);
        AssertSameAnswers(index, reopened);
        var extra = TestData.Mixture(250, Dimension, seed: 43);
        for (var i = 0; i < extra.Length; i++)
        {
            index.Add(100_000 + i, extra[i]);
            reopened.Add(100_000 + i, extra[i]);
        }

        Assert.Equal(index.Count, reopened.Count);
        Assert.Equal(index.Compact(), reopened.Compact());
        Assert.Equal(100_000, reopened.Search(extra[0], 1)[0].Id);
    }

    [Fact]
    public void Empty_index_round_trips()
    {
        using var index = new HnswIndex(new VectorSpace(3, VectorMetric.L2));
        var store = new MemoryPageStore(512);
        index.Save(store);
        using var reopened = HnswIndex.Load(store);
        Assert.Equal(0, reopened.Count);
        Assert.Empty(reopened.Search([1, 2, 3], 3));
    }

    [Fact]
    public void Page_file_round_trips()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vexfs-vectors-{Guid.NewGuid():N}.pages");
        try
        {
            using var index = Build(VectorQuantization.ScalarInt8);
            using (var file = new PageFile(path, 4096, FileMode.CreateNew))
            {
                index.Save(file);
            }

            using (var file = new PageFile(path, 4096, FileMode.Open))
            {
                Assert.True(file.PageCount > 1);
                using var reopened = HnswIndex.Load(file);
                AssertSameAnswers(index, reopened);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Page_file_rejects_partial_pages_and_bad_page_sizes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vexfs-vectors-{Guid.NewGuid():N}.pages");
        try
        {
            File.WriteAllBytes(path, new byte[1000]);
            Assert.Throws<IOException>(() => new PageFile(path, 512));
            Assert.Throws<ArgumentOutOfRangeException>(() => new PageFile(path, 1000));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Every_corrupted_page_is_reported_with_its_number()
    {
        using var index = Build(VectorQuantization.ScalarInt8, count: 600);
        var pristine = new MemoryPageStore(1024);
        index.Save(pristine);
        var random = new Random(5);
        for (var page = 0; page < pristine.PageCount; page++)
        {
            var store = new MemoryPageStore(1024);
            index.Save(store);
            var offset = page == 0 ? random.Next(IndexHeader.Size) : random.Next(DataPageHeader.Size + 64);
            store.Page(page)[offset] ^= (byte)(1 << random.Next(8));
            var error = Assert.Throws<CorruptIndexException>(() => HnswIndex.Load(store));
            Assert.Equal(page, error.PageNumber);
            Assert.False(string.IsNullOrEmpty(error.Field));
        }
    }

    [Fact]
    public void Truncated_store_is_corrupt_not_a_crash()
    {
        using var index = Build(VectorQuantization.None, count: 600);
        var store = new MemoryPageStore(1024);
        index.Save(store);
        store.Truncate((int)store.PageCount - 3);
        var error = Assert.Throws<CorruptIndexException>(() => HnswIndex.Load(store));
        Assert.Equal("data page count", error.Field);
        Assert.Throws<CorruptIndexException>(() => HnswIndex.Load(new MemoryPageStore(1024)));
    }

    [Theory]
    [InlineData(0x10, 0, "dimension")]
    [InlineData(0x10, 5000, "dimension")]
    [InlineData(0x14, 1, "M")]
    [InlineData(0x28, int.MaxValue, "slot count")]
    [InlineData(0x2C, 1_000_000, "entry")]
    [InlineData(0x08, 4096, "page size")]
    public void Header_fields_with_a_valid_checksum_are_still_validated(int offset, int value, string field)
    {
        using var index = Build(VectorQuantization.None, count: 300);
        var store = new MemoryPageStore(1024);
        index.Save(store);
        var header = store.Page(0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(offset), value);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x7C), Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, header.AsSpan(0, 0x7C)));
        var error = Assert.Throws<CorruptIndexException>(() => HnswIndex.Load(store));
        Assert.Equal(field, error.Field);
        Assert.Equal(0, error.PageNumber);
    }

    [Fact]
    public void Header_layout_is_stable()
    {
        var header = new IndexHeader(4096, 1, 1, true, false, 128, 16, 200, 64, 42, 1024, 10, 3, 2, 1, 5, 20000);
        var bytes = new byte[IndexHeader.Size];
        header.WriteTo(bytes);
        Assert.Equal("VXHN", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal(128, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(0x10)));
        Assert.Equal(20000, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0x48)));
        Assert.Equal(header, IndexHeader.ReadFrom(bytes, 0));
        header = header with { OwnerKeepsVectors = true };
        header.WriteTo(bytes);
        Assert.Equal(1, bytes[0x0F]);
        Assert.Equal(header, IndexHeader.ReadFrom(bytes, 0));
    }

    [Theory]
    [InlineData(VectorQuantization.ScalarInt8, VectorMetric.L2, 4096)]
    [InlineData(VectorQuantization.ScalarInt8, VectorMetric.Cosine, 512)]
    [InlineData(VectorQuantization.Binary, VectorMetric.L2, 4096)]
    [InlineData(VectorQuantization.Binary, VectorMetric.Cosine, 1024)]
    [InlineData(VectorQuantization.FourBit, VectorMetric.L2, 512)]
    public void Vectors_left_on_the_device_give_the_same_answers_with_less_memory(VectorQuantization quantization, VectorMetric metric, int pageSize)
    {
        using var index = Build(quantization, metric);
        var store = new MemoryPageStore(pageSize);
        index.Save(store);
        using var inMemory = HnswIndex.Load(store);
        using var onDevice = HnswIndex.Load(store, VectorResidency.Device);
        Assert.True(onDevice.IsReadOnly);
        Assert.False(inMemory.IsReadOnly);
        AssertSameAnswers(inMemory, onDevice);
        Assert.Equal(inMemory.GetVector(700), onDevice.GetVector(700));
        Assert.True(onDevice.MemoryBytes < inMemory.MemoryBytes - (1500L * Dimension * sizeof(float)) + 4096);
    }

    [Fact]
    public void An_index_with_vectors_on_the_device_is_read_only()
    {
        using var index = Build(VectorQuantization.ScalarInt8);
        var store = new MemoryPageStore(4096);
        index.Save(store);
        using var onDevice = HnswIndex.Load(store, VectorResidency.Device);
        Assert.Throws<InvalidOperationException>(() => onDevice.Add(1, new float[Dimension]));
        Assert.Throws<InvalidOperationException>(() => onDevice.Update(7, new float[Dimension]));
        Assert.Throws<InvalidOperationException>(() => onDevice.Remove(7));
        Assert.Throws<InvalidOperationException>(() => onDevice.Compact());
        Assert.Throws<InvalidOperationException>(() => onDevice.Save(new MemoryPageStore(4096)));
        Assert.Equal(index.Count, onDevice.Count);
    }

    [Fact]
    public void Vectors_stay_in_memory_unless_the_index_is_quantized()
    {
        using var index = Build(VectorQuantization.None, count: 300);
        var store = new MemoryPageStore(4096);
        index.Save(store);
        Assert.Throws<ArgumentException>(() => HnswIndex.Load(store, VectorResidency.Device));
    }

    [Fact]
    public void A_corrupt_binary_code_factor_is_reported_at_load()
    {
        using var index = Build(VectorQuantization.Binary, count: 600);
        var store = new MemoryPageStore(4096);
        index.Save(store);
        // The codes close the stream: 20 dimensions are rotated as 64, so a binary code is 8 bytes of bits and four floats.
        // Make the last slot's last factor (the query rounding's bound) negative and its page's checksum right again.
        var header = IndexHeader.ReadFrom(store.Page(0), 0);
        var payload = 4096 - DataPageHeader.Size;
        var errorAt = header.DataLength - 4;
        var page = store.Page((int)(header.FirstDataPage + (errorAt / payload)));
        var offset = DataPageHeader.Size + (int)(errorAt % payload);
        BinaryPrimitives.WriteSingleLittleEndian(page.AsSpan(offset), -1f);
        var sequence = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(0x04));
        DataPageHeader.Seal(page, sequence, (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(0x08)));
        var error = Assert.Throws<CorruptIndexException>(() => HnswIndex.Load(store));
        Assert.Contains("code", error.Message);
    }

    [Fact]
    public void A_corrupt_vector_page_read_during_a_search_is_reported()
    {
        using var index = Build(VectorQuantization.ScalarInt8, count: 600);
        var store = new MemoryPageStore(1024);
        index.Save(store);
        using var onDevice = HnswIndex.Load(store, VectorResidency.Device);
        // Slot records take 600 x 16 bytes; the vectors follow. Corrupt every page that holds vector bytes.
        var payload = 1024 - DataPageHeader.Size;
        var firstVectorPage = 1 + (600 * 16 / payload);
        var lastVectorPage = 1 + (((600 * 16) + (600 * Dimension * 4) - 1) / payload);
        for (var page = firstVectorPage; page <= lastVectorPage; page++)
        {
            store.Page(page)[DataPageHeader.Size + 100] ^= 0x40;
        }

        var error = Assert.Throws<CorruptIndexException>(() => onDevice.Search(Queries[0], 10));
        Assert.InRange(error.PageNumber, firstVectorPage, lastVectorPage);
    }
}
