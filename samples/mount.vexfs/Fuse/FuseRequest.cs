using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance.Buffers;

namespace MountVexfs.Fuse;

/// <summary>
/// One request from the kernel, in a pooled buffer of its own (returned by <see cref="Dispose"/>): the
/// fuse_in_header, then the opcode's arguments. A large WRITE is placed so that its data starts on a page
/// boundary, which an O_DIRECT device then writes without a bounce buffer.
/// </summary>
internal sealed class FuseRequest : IDisposable
{
    // fuse_in_header:
    // 0x00 u32 len      0x04 u32 opcode   0x08 u64 unique   0x10 u64 nodeid
    // 0x18 u32 uid      0x1C u32 gid      0x20 u32 pid      0x24 u16 total_extlen (8-byte units), u16 padding
    public const int HeaderSize = 40;

    /// <summary>Where a WRITE's data starts: after the header and fuse_write_in (40 bytes).</summary>
    private const int WriteDataOffset = HeaderSize + 40;

    /// <summary>The smallest WRITE worth placing on a page boundary, and the page.</summary>
    private const int AlignedFrom = 64 << 10;
    private const int Page = 4096;

    private readonly MemoryOwner<byte> _buffer;
    private readonly int _start;
    private readonly int _length;

    private FuseRequest(MemoryOwner<byte> buffer, int start, int length)
    {
        _buffer = buffer;
        _start = start;
        _length = length;
        var header = Bytes;
        Opcode = (Opcode)BinaryPrimitives.ReadUInt32LittleEndian(header[0x04..]);
        Unique = BinaryPrimitives.ReadUInt64LittleEndian(header[0x08..]);
        NodeId = BinaryPrimitives.ReadUInt64LittleEndian(header[0x10..]);
        Uid = BinaryPrimitives.ReadUInt32LittleEndian(header[0x18..]);
        Gid = BinaryPrimitives.ReadUInt32LittleEndian(header[0x1C..]);
        int extensions = BinaryPrimitives.ReadUInt16LittleEndian(header[0x24..]) * 8;
        ArgumentsLength = Math.Max(0, length - HeaderSize - extensions);
    }

    public Opcode Opcode { get; }

    public ulong Unique { get; }

    public ulong NodeId { get; }

    public uint Uid { get; }

    public uint Gid { get; }

    private int ArgumentsLength { get; }

    /// <summary>The opcode's arguments (without the extensions some kernels append).</summary>
    public ReadOnlySpan<byte> Arguments => Bytes.Slice(HeaderSize, ArgumentsLength);

    private Span<byte> Bytes => _buffer.Span.Slice(_start, _length);

    /// <summary>
    /// Takes the first request off <paramref name="bytes"/> into a pooled buffer, or returns null when they do
    /// not hold a whole one yet; <paramref name="bytes"/> is left at what follows it.
    /// </summary>
    /// <exception cref="InvalidDataException">The request declares a length shorter than its header.</exception>
    public static FuseRequest? TakeFrom(ref ReadOnlySequence<byte> bytes)
    {
        if (bytes.Length < HeaderSize)
        {
            return null;
        }

        Span<byte> prefix = stackalloc byte[8];
        bytes.Slice(0, 8).CopyTo(prefix);
        long length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        if (length < HeaderSize)
        {
            throw new InvalidDataException($"A FUSE request declares a length of {length} bytes, shorter than its header.");
        }

        if (bytes.Length < length)
        {
            return null;
        }

        bool aligned = (Opcode)BinaryPrimitives.ReadUInt32LittleEndian(prefix[4..]) == Opcode.Write && length >= AlignedFrom;
        var buffer = MemoryOwner<byte>.Allocate((int)length + (aligned ? Page : 0));
        int start = aligned ? Aligning(buffer.Span) : 0;
        bytes.Slice(0, length).CopyTo(buffer.Span[start..]);
        bytes = bytes.Slice(length);
        return new FuseRequest(buffer, start, (int)length);
    }

    /// <summary>
    /// Where in <paramref name="buffer"/> a WRITE must start for its data to start on a page boundary. A buffer
    /// this large lives in the large object heap, which the collector does not move; were it moved, the device
    /// would bounce the data, and nothing else would change.
    /// </summary>
    private static unsafe int Aligning(Span<byte> buffer)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
        return (int)((Page - ((address + WriteDataOffset) % Page)) % Page);
    }

    public void Dispose() => _buffer.Dispose();
}

/// <summary>Reads a request's arguments in order: fixed fields, then NUL-terminated names and raw bytes.</summary>
internal ref struct ArgumentReader(ReadOnlySpan<byte> arguments)
{
    private ReadOnlySpan<byte> _rest = arguments;

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Skips <paramref name="count"/> bytes (padding, fields this host does not use).</summary>
    public void Skip(int count) => Take(count);

    /// <summary>A NUL-terminated name, decoded as strict UTF-8.</summary>
    /// <exception cref="ArgumentException">The name is missing its NUL or is not UTF-8.</exception>
    public string Name()
    {
        int end = _rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw new ArgumentException("A name in a FUSE request has no terminating NUL.");
        }

        string name = Names.Decode(_rest[..end]);
        _rest = _rest[(end + 1)..];
        return name;
    }

    /// <summary>The next <paramref name="count"/> bytes.</summary>
    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    /// <summary>Everything not read yet.</summary>
    public readonly ReadOnlySpan<byte> Rest => _rest;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _rest.Length)
        {
            throw new ArgumentException($"A FUSE request ends {count - _rest.Length} bytes early.");
        }

        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
