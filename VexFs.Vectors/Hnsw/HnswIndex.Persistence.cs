using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Persistence;
using VexFs.Vectors.Quantization;

namespace VexFs.Vectors.Hnsw;

public sealed partial class HnswIndex
{
    // Per slot: 0x00 i64 id, 0x08 i32 level, 0x0C u8 state, 0x0D 3 bytes zero.
    private const int SlotRecordSize = 16;

    /// <summary>
    /// Writes the whole index into <paramref name="store"/>: a header in page 0, then data pages holding
    /// slots, vectors, links and codes, each page checksummed. Waits for running inserts and holds off
    /// changes while it writes; searches keep running. Flushes the store before returning.
    /// </summary>
    /// <exception cref="InvalidOperationException">The index is read-only (<see cref="IsReadOnly"/>).</exception>
    public void Save(IPageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        ThrowIfReadOnly();
        if (store.PageSize < 512)
        {
            throw new ArgumentException("Pages must hold at least 512 bytes.", nameof(store));
        }

        _structureLock.EnterWriteLock();
        try
        {
            lock (_mapLock)
            {
                SaveLocked(store);
            }
        }
        finally
        {
            _structureLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Reads an index saved by <see cref="Save"/>: one sequential pass over its pages, no rebuilding.
    /// The reopened index answers every search exactly as the saved one did.
    /// </summary>
    /// <exception cref="CorruptIndexException">A checksum, magic number or field is wrong; names the page and the field.</exception>
    public static HnswIndex Load(IPageStore store) => Load(store, VectorResidency.Memory);

    /// <summary>
    /// Reads an index saved by <see cref="Save"/>, keeping its float vectors in memory or, for a quantized
    /// index, on <paramref name="store"/> (<see cref="VectorResidency.Device"/>): then the vector pages are not
    /// read now but one vector at a time to re-rank search candidates, and the index is read-only.
    /// </summary>
    /// <exception cref="CorruptIndexException">A checksum, magic number or field is wrong; names the page and the field.</exception>
    /// <exception cref="ArgumentException">Vectors were asked to stay on the device but the index is not quantized.</exception>
    public static HnswIndex Load(IPageStore store, VectorResidency residency) => Load(store, residency, null);

    /// <summary>
    /// Reads an index saved by <see cref="Save"/> from one whose owner keeps the vectors (see the constructor
    /// that takes an <see cref="IVectorReader"/>), or from a quantized one, whose saved vectors are then
    /// skipped: the reopened index reads them through <paramref name="vectors"/>, and can change.
    /// </summary>
    /// <exception cref="CorruptIndexException">A checksum, magic number or field is wrong; names the page and the field.</exception>
    /// <exception cref="ArgumentException">The index is not quantized.</exception>
    public static HnswIndex Load(IPageStore store, IVectorReader vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        return Load(store, VectorResidency.Memory, vectors);
    }

    private static HnswIndex Load(IPageStore store, VectorResidency residency, IVectorReader? vectors)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.PageCount < 1 || store.PageSize < IndexHeader.Size)
        {
            throw new CorruptIndexException(0, "header", "the store holds no index header");
        }

        var page = new byte[store.PageSize];
        store.Read(0, page);
        var header = IndexHeader.ReadFrom(page, 0);
        if (header.OwnerKeepsVectors && vectors is null)
        {
            throw new ArgumentException("This index was saved without its vectors, which its owner keeps: load it with an IVectorReader.", nameof(store));
        }

        if (vectors is not null && !header.QuantizerTrained)
        {
            throw new ArgumentException("Only an index walked with quantized codes can read its vectors from their owner.", nameof(vectors));
        }

        var index = Create(header, store, vectors);
        if (residency == VectorResidency.Device)
        {
            if (!header.QuantizerTrained)
            {
                throw new ArgumentException("Only an index walked with quantized codes can keep its vectors on the device.", nameof(residency));
            }

            index._deviceVectors = new DeviceVectors(
                store, header.FirstDataPage, header.DataPageCount, header.DataLength, (long)header.SlotCount * SlotRecordSize, header.Dimension);
        }

        using var reader = new PageStreamReader(store, header.FirstDataPage, header.DataPageCount, header.DataLength);
        index.LoadData(header, reader);
        return index;
    }

    private static long DataLength(IndexHeader h, int upperInts) =>
        DataLength(h.SlotCount, h.Dimension, h.M, upperInts, h.QuantizerTrained ? (VectorQuantization)h.Quantization : VectorQuantization.None, h.OwnerKeepsVectors);

    /// <summary>The bytes of the data stream; <paramref name="codes"/> is <see cref="VectorQuantization.None"/> before the quantizer is trained.</summary>
    private static long DataLength(int slotCount, int dimension, int m, int upperInts, VectorQuantization codes, bool ownerKeepsVectors) =>
        ((long)slotCount * SlotRecordSize)
        + (ownerKeepsVectors ? 0 : (long)slotCount * dimension * sizeof(float))
        + ((long)slotCount * ((2 * m) + 1) * sizeof(int))
        + ((long)upperInts * sizeof(int))
        + codes switch
        {
            // Minimum and step per dimension, then a byte per component.
            VectorQuantization.ScalarInt8 => (2L * dimension * sizeof(float)) + ((long)slotCount * dimension),
            // The rotation's seed and the centroid, then the codes.
            VectorQuantization.Binary or VectorQuantization.TwoBit or VectorQuantization.FourBit =>
                sizeof(ulong) + ((long)dimension * sizeof(float)) + ((long)slotCount * RotatedQuantizer.CodeSizeFor(dimension, RotatedQuantizer.BitsOf(codes))),
            _ => 0,
        };

    private void SaveLocked(IPageStore store)
    {
        var slotCount = _slotCount;
        var upperInts = 0L;
        for (var s = 0; s < slotCount; s++)
        {
            upperInts += (long)_levels.At(s) * (_m + 1);
        }

        var quantizer = _quantizer;
        var length = DataLength(slotCount, Space.Dimension, _m, (int)upperInts, quantizer is null ? VectorQuantization.None : Options.Quantization, _reader is not null);
        var payload = store.PageSize - DataPageHeader.Size;
        var dataPages = (length + payload - 1) / payload;
        if (store.PageCount < 1 + dataPages)
        {
            store.Allocate(1 + dataPages - store.PageCount);
        }

        using (var writer = new PageStreamWriter(store, 1))
        {
            Span<byte> record = stackalloc byte[SlotRecordSize];
            for (var s = 0; s < slotCount; s++)
            {
                record.Clear();
                BinaryPrimitives.WriteInt64LittleEndian(record, _ids.At(s));
                BinaryPrimitives.WriteInt32LittleEndian(record[0x08..], _levels.At(s));
                record[0x0C] = _states.At(s);
                writer.Write(record);
            }

            for (var s = 0; _reader is null && s < slotCount; s++)
            {
                WriteLittleEndian(writer, Vector(s));
            }

            var row = new int[_m0 + 1];
            var words = new uint[_packed?.MaxWords ?? 1];
            for (var s = 0; s < slotCount; s++)
            {
                WriteLittleEndian(writer, BottomRow(s, row, words));
            }

            for (var s = 0; s < slotCount; s++)
            {
                if (_upperLinks.At(s) is { } upper)
                {
                    WriteLittleEndian(writer, upper.AsSpan());
                }
            }

            if (quantizer is ScalarQuantizer scalar)
            {
                WriteLittleEndian(writer, scalar.Min);
                WriteLittleEndian(writer, scalar.Step);
            }
            else if (quantizer is RotatedQuantizer rotated)
            {
                Span<byte> seed = stackalloc byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(seed, rotated.Seed);
                writer.Write(seed);
                WriteLittleEndian(writer, rotated.Centroid);
            }

            if (quantizer is not null)
            {
                for (var s = 0; s < slotCount; s++)
                {
                    writer.Write(Code(s));
                }
            }

            writer.Complete();
        }

        var (entry, top) = Unpack(_entry);
        var header = new IndexHeader(
            store.PageSize, (byte)Space.Metric, (byte)Options.Quantization, quantizer is not null, _reader is not null, Space.Dimension,
            _m, Options.EfConstruction, EfSearch, Options.Seed, Options.QuantizationTrainingSize,
            slotCount, entry, top, 1, dataPages, length);
        var page = new byte[store.PageSize];
        header.WriteTo(page);
        store.Write(0, page);
        store.Flush();
    }

    private static HnswIndex Create(IndexHeader h, IPageStore store, IVectorReader? vectors)
    {
        void Require(bool valid, string field, string problem)
        {
            if (!valid)
            {
                throw new CorruptIndexException(0, field, problem);
            }
        }

        Require(h.PageSize == store.PageSize, "page size", "differs from the store's page size");
        Require(h.Metric is >= 1 and <= 3, "metric", "unknown metric");
        Require(h.Quantization is (byte)VectorQuantization.None or (byte)VectorQuantization.ScalarInt8 or (byte)VectorQuantization.Binary
            or (byte)VectorQuantization.TwoBit or (byte)VectorQuantization.FourBit, "quantization", "unknown quantization");
        Require(h.Dimension is >= 1 and <= VectorSpace.MaxDimension, "dimension", "out of range");
        Require(h.M is >= 2 and <= 128, "M", "out of range");
        Require(h.EfConstruction >= 1 && h.EfSearch >= 1 && h.TrainingSize >= 1, "ef", "out of range");
        Require(h.SlotCount >= 0, "slot count", "negative");
        Require(!h.QuantizerTrained || h.Quantization != (byte)VectorQuantization.None, "quantizer trained", "set without quantization");
        Require(!h.OwnerKeepsVectors || h.QuantizerTrained, "vectors kept by the owner", "set without trained codes");
        Require(h.FirstDataPage == 1, "first data page", "data must follow the header");
        Require(h.DataPageCount >= 0 && h.DataPageCount <= store.PageCount - 1, "data page count", "more pages than the store holds");
        var payload = store.PageSize - DataPageHeader.Size;
        Require(h.DataLength >= 0 && h.DataPageCount == (h.DataLength + payload - 1) / payload, "data length", "does not match the data page count");
        Require(h.EntrySlot >= -1 && h.EntrySlot < h.SlotCount && h.TopLevel is >= -1 and <= MaxLevel, "entry", "out of range");
        Require((h.EntrySlot == -1) == (h.TopLevel == -1), "entry", "slot and level disagree");

        var options = new HnswOptions
        {
            M = h.M,
            EfConstruction = h.EfConstruction,
            EfSearch = h.EfSearch,
            Seed = h.Seed,
            Quantization = (VectorQuantization)h.Quantization,
            QuantizationTrainingSize = h.TrainingSize,
        };
        // Lower bound of the stream: checked before anything is sized from the slot count.
        Require(DataLength(h, 0) <= h.DataLength, "slot count", "more slots than the data holds");
        return new HnswIndex(new VectorSpace(h.Dimension, (VectorMetric)h.Metric), options, vectors);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LoadData(IndexHeader h, PageStreamReader reader)
    {
        var slotCount = h.SlotCount;
        GrowTo(slotCount);
        _slotsById.EnsureCapacity(slotCount);
        Span<byte> record = stackalloc byte[SlotRecordSize];
        long upperInts = 0;
        for (var s = 0; s < slotCount; s++)
        {
            reader.ReadExactly(record);
            var id = BinaryPrimitives.ReadInt64LittleEndian(record);
            var level = BinaryPrimitives.ReadInt32LittleEndian(record[0x08..]);
            var state = record[0x0C];
            if (!(level is >= 0 and <= MaxLevel))
            {
                throw new CorruptIndexException(reader.CurrentPage, "slot level", $"slot {s} has level {level}");
            }
            if (!(state is LiveSlot or DeletedSlot or FreeSlot))
            {
                throw new CorruptIndexException(reader.CurrentPage, "slot state", $"slot {s} has state {state}");
            }
            if (!(state != FreeSlot || level == 0))
            {
                throw new CorruptIndexException(reader.CurrentPage, "slot level", $"free slot {s} has a level");
            }
            _ids.At(s) = id;
            _levels.At(s) = (byte)level;
            _states.At(s) = state;
            upperInts += (long)level * (_m + 1);
            if (state == LiveSlot)
            {
                if (!_slotsById.TryAdd(s))
                {
                    throw new CorruptIndexException(reader.CurrentPage, "slot id", $"id {id} is stored twice");
                }
                _liveCount++;
            }
            else if (state == DeletedSlot)
            {
                _deletedCount++;
            }
        }

        Check(reader, upperInts <= int.MaxValue && DataLength(h, (int)upperInts) == h.DataLength, "data length", "does not match the slots");
        if (_deviceVectors is not null || _reader is not null)
        {
            // Vectors read from elsewhere; an index saved by a reader's owner holds none.
            reader.Skip(h.OwnerKeepsVectors ? 0 : (long)slotCount * Space.Dimension * sizeof(float));
        }
        else
        {
            for (var s = 0; s < slotCount; s++)
            {
                ReadLittleEndian(reader, Vector(s));
                if (!Finite.All(Vector(s)))
                {
                    throw new CorruptIndexException(reader.CurrentPage, "vector", $"slot {s} holds a non-finite component");
                }
            }
        }

        var row = new int[_m0 + 1];
        for (var s = 0; s < slotCount; s++)
        {
            var links = _packed is null ? Links(s, 0) : row.AsSpan();
            ReadLittleEndian(reader, links);
            CheckLinks(reader, links, slotCount, s);
            _packed?.Load(ref LinkBlock(s), row.AsSpan(1, row[0]));
        }

        for (var s = 0; s < slotCount; s++)
        {
            var level = _levels.At(s);
            if (level > 0)
            {
                var upper = new int[level * (_m + 1)];
                ReadLittleEndian(reader, upper.AsSpan());
                for (var l = 0; l < level; l++)
                {
                    CheckLinks(reader, upper.AsSpan(l * (_m + 1), _m + 1), slotCount, s);
                }

                _upperLinks.At(s) = upper;
            }
        }

        if (h.QuantizerTrained && RotatedQuantizer.BitsOf((VectorQuantization)h.Quantization) is > 0 and var bits)
        {
            Span<byte> seed = stackalloc byte[sizeof(ulong)];
            reader.ReadExactly(seed);
            var centroid = new float[Space.Dimension];
            ReadLittleEndian(reader, centroid.AsSpan());
            if (!Finite.All(centroid))
            {
                throw new CorruptIndexException(reader.CurrentPage, "quantizer", "the centroid holds a non-finite component");
            }

            var rotated = new RotatedQuantizer(Space.Metric, centroid, BinaryPrimitives.ReadUInt64LittleEndian(seed), bits);
            for (var s = 0; s < slotCount; s++)
            {
                reader.ReadExactly(Code(s));
                if (!rotated.HasValidFactors(Code(s)))
                {
                    throw new CorruptIndexException(reader.CurrentPage, "code", $"slot {s} has an invalid distance factor");
                }
            }

            _quantizer = rotated;
        }
        else if (h.QuantizerTrained)
        {
            var min = new float[Space.Dimension];
            var step = new float[Space.Dimension];
            ReadLittleEndian(reader, min.AsSpan());
            ReadLittleEndian(reader, step.AsSpan());
            for (var i = 0; i < step.Length; i++)
            {
                if (!(float.IsFinite(min[i]) && float.IsFinite(step[i]) && step[i] > 0))
                {
                    throw new CorruptIndexException(reader.CurrentPage, "quantizer", $"dimension {i} has an invalid range");
                }
            }

            for (var s = 0; s < slotCount; s++)
            {
                reader.ReadExactly(Code(s));
            }

            _quantizer = new ScalarQuantizer(Space.Metric, min, step);
        }

        if (h.EntrySlot >= 0)
        {
            Check(reader, _levels.At(h.EntrySlot) == h.TopLevel && _states.At(h.EntrySlot) != FreeSlot, "entry", "the entry slot does not hold the top level");
        }

        for (var s = slotCount - 1; s >= 0; s--)
        {
            if (_states.At(s) == FreeSlot)
            {
                _freeSlots.Push(s);
            }
        }

        _slotCount = slotCount;
        _entry = h.EntrySlot == -1 ? -1 : Pack(h.EntrySlot, h.TopLevel);
    }

    /// <summary>
    /// The saved form of the bottom-layer list of <paramref name="slot"/>: the count, then 2M links, the unused
    /// ones zero; packed lists are laid out in <paramref name="row"/>.
    /// </summary>
    private ReadOnlySpan<int> BottomRow(int slot, int[] row, uint[] words)
    {
        if (_packed is not { } packed)
        {
            return Links(slot, 0);
        }

        Array.Clear(row);
        row[0] = packed.Read(ref LinkBlock(slot), row.AsSpan(1), words);
        return row;
    }

    private static void Check(PageStreamReader reader, bool valid, string field, string problem)
    {
        if (!valid)
        {
            throw new CorruptIndexException(reader.CurrentPage, field, problem);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CheckLinks(PageStreamReader reader, ReadOnlySpan<int> links, int slotCount, int slot)
    {
        var count = links[0];
        if (!(count >= 0 && count < links.Length))
        {
            throw new CorruptIndexException(reader.CurrentPage, "link count", $"slot {slot} has {count} links");
        }
        foreach (var neighbor in links.Slice(1, count))
        {
            if (!(neighbor >= 0 && neighbor < slotCount && neighbor != slot))
            {
                throw new CorruptIndexException(reader.CurrentPage, "link", $"slot {slot} links to {neighbor}");
            }
        }
    }

    private static void WriteLittleEndian<T>(PageStreamWriter writer, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> item = stackalloc byte[4];
        foreach (var value in MemoryMarshal.AsBytes(values).ToArray().Chunk(4))
        {
            value.CopyTo(item);
            item.Reverse();
            writer.Write(item);
        }
    }

    private static void WriteLittleEndian<T>(PageStreamWriter writer, Span<T> values)
        where T : unmanaged => WriteLittleEndian(writer, (ReadOnlySpan<T>)values);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadLittleEndian<T>(PageStreamReader reader, Span<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        reader.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < bytes.Length; i += 4)
            {
                bytes.Slice(i, 4).Reverse();
            }
        }
    }
}
