using Microsoft.Extensions.ObjectPool;

namespace VexFs.BlockDevices.DirectIO;

/// <summary>
/// The one pool of aligned buffers that O_DIRECT devices bounce unaligned requests through: 1 MiB buffers
/// aligned to 4 KiB, which satisfies the alignment rules of every Linux block device and filesystem.
/// </summary>
public static class AlignedBufferPool
{
    /// <summary>The size of every pooled buffer.</summary>
    public const int BufferSize = 1024 * 1024;

    /// <summary>The alignment of every pooled buffer's address.</summary>
    public const int Alignment = 4096;

    private static readonly ObjectPool<AlignedBuffer> Pool =
        new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 4 }
            .Create(new BufferPolicy());

    /// <summary>Takes a buffer from the pool, allocating one when the pool is empty.</summary>
    public static AlignedBuffer Rent() => Pool.Get();

    /// <summary>Gives a buffer back; a buffer the pool cannot keep is freed.</summary>
    public static void Return(AlignedBuffer buffer) => Pool.Return(buffer);

    private sealed class BufferPolicy : IPooledObjectPolicy<AlignedBuffer>
    {
        public AlignedBuffer Create() => new(BufferSize, Alignment);

        public bool Return(AlignedBuffer obj) => obj.Length == BufferSize;
    }
}
