using System.Buffers.Binary;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace MountVexfs.Fuse;

/// <summary>
/// A reply being built: the fuse_out_header, then the opcode's answer. Replies are pooled (one per worker at a
/// time), and their buffers come from the array pool and are kept between requests.
/// </summary>
internal sealed class Reply : IResettable, IDisposable
{
    // fuse_out_header:
    // 0x00 u32 len   0x04 i32 error (0 or a negated errno)   0x08 u64 unique
    public const int HeaderSize = 16;

    private readonly ArrayPoolBufferWriter<byte> _buffer = new(HeaderSize + 4096);

    public Reply() => Reset();

    /// <summary>The bytes of the answer so far, after the header.</summary>
    public int Length => _buffer.WrittenCount - HeaderSize;

    /// <summary>Appends <paramref name="count"/> zeroed bytes and returns them to fill in.</summary>
    public Span<byte> Append(int count)
    {
        var span = _buffer.GetSpan(count)[..count];
        span.Clear();
        _buffer.Advance(count);
        return span;
    }

    /// <summary>Room for up to <paramref name="count"/> bytes; <see cref="Commit"/> says how many were written.</summary>
    public Span<byte> Reserve(int count) => _buffer.GetSpan(count)[..count];

    /// <summary>Keeps <paramref name="count"/> bytes of what <see cref="Reserve"/> gave.</summary>
    public void Commit(int count) => _buffer.Advance(count);

    public void Append(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    public void AppendU32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Append(4), value);

    public void AppendU64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Append(8), value);

    /// <summary>
    /// The whole message for request <paramref name="unique"/>: with <paramref name="errno"/> 0 the answer
    /// built, otherwise the header alone carrying the negated errno.
    /// </summary>
    public ReadOnlySpan<byte> Seal(ulong unique, int errno)
    {
        var array = _buffer.DangerousGetArray();
        int length = errno == 0 ? _buffer.WrittenCount : HeaderSize;
        var message = array.AsSpan(0, length);
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)length);
        BinaryPrimitives.WriteInt32LittleEndian(message[0x04..], -errno);
        BinaryPrimitives.WriteUInt64LittleEndian(message[0x08..], unique);
        return message;
    }

    public void Dispose() => _buffer.Dispose();

    public bool TryReset()
    {
        Reset();
        return true;
    }

    private void Reset()
    {
        _buffer.Clear();
        _buffer.GetSpan(HeaderSize)[..HeaderSize].Clear();
        _buffer.Advance(HeaderSize);
    }
}
