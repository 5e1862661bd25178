using System.Buffers;
using System.Runtime.InteropServices;

namespace MountVexfs.Native;

/// <summary>
/// Memory for one request or one reply, laid out so that its data sits in one transparent huge page (2 MiB,
/// physically contiguous) with its header just before. An O_DIRECT transfer from or into that data then
/// needs a handful of device segments, not one per 4 KiB page: a loop device takes at most 128 segments a
/// request, so 1 MiB in scattered pages reached it as two requests of 512 KiB, where the page cache's large
/// folios give ext4 requests of the device's largest size. The kernel is asked for the huge page (madvise);
/// when it has none to give, the same memory works in small pages. The owner disposes it once nothing reads
/// or writes it any more.
/// </summary>
internal sealed unsafe class HugePageBuffer : MemoryManager<byte>
{
    /// <summary>The size of a transparent huge page with 4 KiB pages (x86-64, arm64).</summary>
    public const int HugePage = 2 << 20;

    private const int Page = 4096;

    // One page for the header, then two huge pages' worth, in which one huge-page boundary has a whole huge
    // page after it.
    private const int MappedLength = Page + (2 * HugePage);

    private readonly byte* _mapped;

    // Where the header starts, and the header's and the data's bytes together from there.
    private readonly byte* _start;
    private readonly int _length;
    private int _unmapped;

    /// <summary>
    /// Maps room for <paramref name="headerSize"/> bytes followed by <paramref name="dataSize"/> bytes, the data
    /// starting on a huge-page boundary.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The mapping was refused.</exception>
    public HugePageBuffer(int headerSize, int dataSize)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headerSize, Page);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataSize, HugePage);
        _mapped = (byte*)LibC.Map(null, MappedLength, LibC.ProtRead | LibC.ProtWrite, LibC.MapPrivate | LibC.MapAnonymous, -1, 0);
        if (_mapped == (byte*)-1)
        {
            throw new InsufficientMemoryException($"mmap of {MappedLength} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        }

        byte* data = (byte*)(((nint)_mapped + Page + HugePage - 1) & ~(nint)(HugePage - 1));
        // Refused only where the kernel has no transparent huge pages; small pages serve then.
        LibC.Advise(data, HugePage, LibC.MadvHugePage);
        _start = data - headerSize;
        _length = headerSize + dataSize;
    }

    /// <summary>The header's and the data's bytes together, the data from a huge-page boundary.</summary>
    public override Span<byte> GetSpan() => new(_start, _length);

    /// <summary>The memory does not move; pinning it is free.</summary>
    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _unmapped, 1) == 0)
        {
            LibC.Unmap(_mapped, MappedLength);
        }
    }
}
