using System.Buffers;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// A <see cref="Memory{T}"/> over a span the caller has pinned with <c>fixed</c>, so that a synchronous read
/// can hand its destination to the reply reader without a bounce buffer. Valid only while the caller stays inside
/// its <c>fixed</c> block, which it does until every request using the memory has completed.
/// </summary>
internal sealed unsafe class PinnedSpanMemory(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle(pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
