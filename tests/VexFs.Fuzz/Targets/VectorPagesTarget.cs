using System.Buffers.Binary;
using VexFs.Vectors;
using VexFs.Vectors.Hnsw;
using VexFs.Vectors.Persistence;
using VexFs.Vectors.Quantization;

namespace VexFs.Fuzz.Targets;

/// <summary>
/// A saved HNSW index (vector persistence pages), its header and page checksums made to match, loaded and searched.
/// </summary>
internal static class VectorPagesTarget
{
    private const int PageSize = 512;
    private const int HeaderChecksumOffset = 0x7C;
    private const int PayloadLengthOffset = 0x08;

    public static void Run(byte[] input)
    {
        var store = PageImage.Of(input, PageSize);
        if (store.PageCount > 0)
        {
            var header = store.Pages[0];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(HeaderChecksumOffset), System.IO.Hashing.Crc32.HashToUInt32(System.IO.Hashing.Crc32ParameterSet.Crc32C, header.AsSpan(0, HeaderChecksumOffset)));
        }

        foreach (var page in store.Pages.Skip(1))
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(PayloadLengthOffset));
            if (BinaryPrimitives.ReadUInt32LittleEndian(page) == DataPageHeader.Magic && length <= PageSize - DataPageHeader.Size)
            {
                DataPageHeader.Seal(page, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(4)), (int)length);
            }
        }

        using var index = HnswIndex.Load(store);
        var query = new float[index.Space.Dimension];
        query.AsSpan().Fill(0.5f);
        index.Search(query, 3);
    }

    public static IEnumerable<byte[]> Seeds()
    {
        foreach (var quantization in new[] { VectorQuantization.None, VectorQuantization.ScalarInt8, VectorQuantization.Binary, VectorQuantization.FourBit })
        {
            var options = HnswOptions.Default with { M = 4, EfConstruction = 16, Quantization = quantization, QuantizationTrainingSize = 8 };
            using var index = new HnswIndex(new VectorSpace(4, VectorMetric.L2), options);
            var random = new Random(7);
            for (int id = 0; id < 24; id++)
            {
                index.Add(id, [random.NextSingle(), random.NextSingle(), random.NextSingle(), random.NextSingle()]);
            }

            var store = new PageImage(PageSize);
            index.Save(store);
            yield return store.Pages.SelectMany(p => p).ToArray();
        }
    }
}
