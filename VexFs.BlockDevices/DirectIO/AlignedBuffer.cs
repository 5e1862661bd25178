using System.Buffers;
using System.Runtime.InteropServices;

namespace VexFs.BlockDevices.DirectIO;

/// <summary>
/// Native memory aligned for O_DIRECT transfers. Rent one from <see cref="AlignedBufferPool"/> and return it
/// there; disposing it frees the memory.
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    private byte* _pointer;

    internal AlignedBuffer(int length, int alignment)
    {
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
        Length = length;
        Alignment = alignment;
        GC.AddMemoryPressure(length);
    }

    /// <summary>The size in bytes.</summary>
    public int Length { get; }

    /// <summary>The alignment of the start address in bytes.</summary>
    public int Alignment { get; }

    /// <inheritdoc />
    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        return new Span<byte>(_pointer, Length);
    }

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, Length);
        return new MemoryHandle(_pointer + elementIndex);
    }

    /// <inheritdoc />
    public override void Unpin()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            GC.RemoveMemoryPressure(Length);
        }
    }
}
