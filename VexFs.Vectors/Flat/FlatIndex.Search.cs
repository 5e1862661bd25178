using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VexFs.Vectors.Kernels;
using VexFs.Vectors.Search;

namespace VexFs.Vectors.Flat;

public sealed partial class FlatIndex
{
    // Queries of one batch block share each pass over a chunk of stored vectors while it is in cache.
    private const int BatchBlockQueries = 8;
    private const int BatchBlockRows = 1024;

    // An exact scan computes the distances of this many rows at once, then offers them to the heap.
    private const int ScanBlockRows = 64;

    /// <inheritdoc />
    public VectorMatch[] Search(ReadOnlySpan<float> query, int k, VectorFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var prepared = ArrayPool<float>.Shared.Rent(Space.Dimension);
        try
        {
            Space.Prepare(query, prepared, nameof(query));
            var heap = new FarthestFirstQueue();
            _lock.EnterReadLock();
            try
            {
                if (filter?.AdmittedIds is { } admitted && admitted.Count < _count)
                {
                    ScanIds(prepared, k, admitted, heap);
                }
                else if (_screening is { TrainedRows: > 0 } screening && _count >= ScreeningCodes.MinRows)
                {
                    screening.Search(prepared.AsSpan(0, Space.Dimension), k, _count, filter, _vectors, _ids, heap);
                }
                else
                {
                    ScanRows(prepared, k, 0, _count, filter, heap);
                }

                return Drain(heap);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(prepared);
        }
    }

    /// <summary>
    /// Searches many queries at once on up to <paramref name="maxDegreeOfParallelism"/> threads
    /// (all processors when -1). The queries are stored one after another in <paramref name="queries"/>.
    /// </summary>
    /// <returns>One result array per query, in query order, as <see cref="Search"/> would return it.</returns>
    /// <exception cref="ArgumentException">The length of <paramref name="queries"/> is not a multiple of the dimension, or a query is invalid.</exception>
    public VectorMatch[][] SearchBatch(ReadOnlyMemory<float> queries, int k, int maxDegreeOfParallelism = -1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var dim = Space.Dimension;
        if (queries.IsEmpty || queries.Length % dim != 0)
        {
            throw new ArgumentException("The batch must hold a whole, positive number of queries.", nameof(queries));
        }

        var count = queries.Length / dim;
        var prepared = new float[queries.Length];
        for (var q = 0; q < count; q++)
        {
            Space.Prepare(queries.Span.Slice(q * dim, dim), prepared.AsSpan(q * dim, dim), nameof(queries));
        }

        var results = new VectorMatch[count][];
        var blocks = (count + BatchBlockQueries - 1) / BatchBlockQueries;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        _lock.EnterReadLock();
        try
        {
            Parallel.For(0, blocks, options, block =>
            {
                var first = block * BatchBlockQueries;
                var n = Math.Min(BatchBlockQueries, count - first);
                var heaps = new FarthestFirstQueue[n];
                for (var q = 0; q < n; q++)
                {
                    heaps[q] = new FarthestFirstQueue();
                }

                for (var start = 0; start < _count; start += BatchBlockRows)
                {
                    var end = Math.Min(_count, start + BatchBlockRows);
                    for (var q = 0; q < n; q++)
                    {
                        ScanRows(prepared.AsSpan((first + q) * dim, dim), k, start, end, null, heaps[q]);
                    }
                }

                for (var q = 0; q < n; q++)
                {
                    results[first + q] = Drain(heaps[q]);
                }
            });
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return results;
    }

    private void ScanRows(ReadOnlySpan<float> query, int k, int start, int end, VectorFilter? filter, FarthestFirstQueue heap)
    {
        var dim = Space.Dimension;
        var metric = Space.Metric;
        var rowsPerChunk = _vectors.RowsPerChunk;
        ref var q = ref MemoryMarshal.GetReference(query);
        var slot = start;
        while (slot < end)
        {
            var chunk = _vectors.Chunk(slot / rowsPerChunk);
            var row = slot % rowsPerChunk;
            var rows = Math.Min(rowsPerChunk - row, end - slot);
            if (filter is null)
            {
                ScanAll(ref q, ref chunk[row * dim], slot, rows, k, heap);
                slot += rows;
                continue;
            }

            for (var r = row; r < row + rows; r++)
            {
                if (!filter.Admits(_ids.At(slot + r - row)))
                {
                    continue;
                }

                var d = RowDistances.One(metric, ref q, ref chunk[r * dim], dim);
                if (heap.Count < k || d < heap.Top.Distance)
                {
                    heap.PushBounded(d, slot + r - row, k);
                }
            }

            slot += rows;
        }
    }

    /// <summary>Offers the heap every one of <paramref name="count"/> consecutive rows, the first at <paramref name="first"/> (slot <paramref name="slot"/>).</summary>
    private void ScanAll(ref float query, ref float first, int slot, int count, int k, FarthestFirstQueue heap)
    {
        var dim = Space.Dimension;
        Span<float> distances = stackalloc float[ScanBlockRows];
        for (var done = 0; done < count; done += ScanBlockRows)
        {
            var block = distances[..Math.Min(ScanBlockRows, count - done)];
            RowDistances.Compute(Space.Metric, ref query, ref Unsafe.Add(ref first, (nuint)done * (nuint)dim), dim, block);
            heap.PushBelowFarthest(block, slot + done, k);
        }
    }

    private void ScanIds(ReadOnlySpan<float> query, int k, IReadOnlyCollection<long> ids, FarthestFirstQueue heap)
    {
        var dim = Space.Dimension;
        ref var q = ref MemoryMarshal.GetReference(query);
        foreach (var id in ids)
        {
            if (_slots.TryGetValue(id, out var slot))
            {
                heap.PushBounded(RowDistances.One(Space.Metric, ref q, ref _vectors.At(slot), dim), slot, k);
            }
        }
    }

    private VectorMatch[] Drain(FarthestFirstQueue heap)
    {
        var result = new VectorMatch[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            var n = heap.Pop();
            result[i] = new VectorMatch(_ids.At(n.Slot), n.Distance);
        }

        return result;
    }
}
