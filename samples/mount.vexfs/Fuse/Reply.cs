using System.Buffers.Binary;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.Extensions.ObjectPool;
using MountVexfs.Native;

namespace MountVexfs.Fuse;

/// <summary>
/// A reply being built: the fuse_out_header, then the opcode's answer. Replies are pooled (one per worker at a
/// time), and their buffers (from the array pool, and a huge page for data read from the device) are kept
/// between requests.
/// </summary>
internal sealed class Reply : IResettable, IDisposable
{
    // fuse_out_header:
    // 0x00 u32 len   0x04 i32 error (0 or a negated errno)   0x08 u64 unique
    public const int HeaderSize = 16;

    private readonly ArrayPoolBufferWriter<byte> _buffer = new(HeaderSize + 4096);

    // An answer that must start on a page boundary (READ's data, which an O_DIRECT device then fills without a
    // bounce buffer): a huge page kept by this reply, the header just before it.
    private HugePageBuffer? _aligned;
    private int _alignedLength = -1;

    // The session's way to send this reply before its handler returns (see SendNow), for the request being served.
    private Action<Reply>? _sender;

    public Reply()
    {
        SendNowAction = SendNow;
        Reset();
    }

    /// <summary>The request being answered, as <see cref="Begin"/> set it.</summary>
    public ulong Unique { get; private set; }

    /// <summary>Whether the answer went out before the handler returned (<see cref="SendNow"/>).</summary>
    public bool Sent { get; private set; }

    /// <summary><see cref="SendNow"/> as a delegate, made once for the reply's life in the pool.</summary>
    public Action SendNowAction { get; }

    /// <summary>The bytes of the answer so far, after the header.</summary>
    public int Length => _alignedLength >= 0 ? _alignedLength : _buffer.WrittenCount - HeaderSize;

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

    /// <summary>
    /// Room for an answer of up to <paramref name="count"/> bytes that starts on a page boundary, in place of
    /// anything appended; <see cref="CommitAligned"/> says how many were written.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is over a huge page.</exception>
    public Span<byte> ReserveAligned(int count)
    {
        _aligned ??= new HugePageBuffer(HeaderSize, HugePageBuffer.HugePage);
        return _aligned.GetSpan().Slice(HeaderSize, count);
    }

    /// <summary>Keeps <paramref name="count"/> bytes of what <see cref="ReserveAligned"/> gave as the answer.</summary>
    public void CommitAligned(int count) => _alignedLength = count;

    /// <summary>
    /// Readies the reply for request <paramref name="unique"/>; <paramref name="sender"/> sends it when the
    /// handler calls <see cref="SendNow"/> (null: the answer waits for the handler to return).
    /// </summary>
    public void Begin(ulong unique, Action<Reply>? sender)
    {
        Unique = unique;
        _sender = sender;
    }

    /// <summary>
    /// Sends the answer built so far while the handler goes on (a WRITE answered once its blocks are allocated,
    /// while its data moves); the session then sends nothing more for the request. Does nothing without a sender.
    /// </summary>
    public void SendNow()
    {
        if (_sender is null || Sent)
        {
            return;
        }

        Sent = true;
        _sender(this);
    }

    public void Append(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    public void AppendU32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Append(4), value);

    public void AppendU64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Append(8), value);

    /// <summary>
    /// The whole message for request <paramref name="unique"/>: with <paramref name="errno"/> 0 the answer
    /// built, otherwise the header alone carrying the negated errno.
    /// </summary>
    public ReadOnlySpan<byte> Seal(ulong unique, int errno)
    {
        bool aligned = errno == 0 && _alignedLength >= 0;
        int length = aligned ? HeaderSize + _alignedLength : errno == 0 ? _buffer.WrittenCount : HeaderSize;
        var message = aligned ? _aligned!.GetSpan()[..length] : _buffer.DangerousGetArray().AsSpan(0, length);
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)length);
        BinaryPrimitives.WriteInt32LittleEndian(message[0x04..], -errno);
        BinaryPrimitives.WriteUInt64LittleEndian(message[0x08..], unique);
        return message;
    }

    public void Dispose()
    {
        _buffer.Dispose();
        ((IDisposable?)_aligned)?.Dispose();
    }

    public bool TryReset()
    {
        Reset();
        return true;
    }

    private void Reset()
    {
        _alignedLength = -1;
        _sender = null;
        Sent = false;
        _buffer.Clear();
        _buffer.GetSpan(HeaderSize)[..HeaderSize].Clear();
        _buffer.Advance(HeaderSize);
    }
}
