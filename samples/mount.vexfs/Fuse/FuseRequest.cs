using System.Buffers.Binary;

namespace MountVexfs.Fuse;

/// <summary>
/// One request from the kernel, a view of the <see cref="RequestBuffer"/> it was read into, valid until that
/// buffer reads the next: the fuse_in_header, then the opcode's arguments.
/// </summary>
internal sealed class FuseRequest
{
    // fuse_in_header:
    // 0x00 u32 len      0x04 u32 opcode   0x08 u64 unique   0x10 u64 nodeid
    // 0x18 u32 uid      0x1C u32 gid      0x20 u32 pid      0x24 u16 total_extlen (8-byte units), u16 padding
    public const int HeaderSize = 40;

    private readonly ReadOnlyMemory<byte> _message;

    /// <summary>The request in <paramref name="message"/>, which holds it exactly and stays unchanged while it is served.</summary>
    /// <exception cref="InvalidDataException">The request is shorter than its header, or than the length it declares.</exception>
    public FuseRequest(ReadOnlyMemory<byte> message)
    {
        int length = message.Length;
        if (length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(message.Span) != (uint)length)
        {
            throw new InvalidDataException($"A FUSE request of {length} bytes does not hold its header or the length it declares.");
        }

        _message = message;
        var header = message.Span[..HeaderSize];
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
    public ReadOnlySpan<byte> Arguments => _message.Span.Slice(HeaderSize, ArgumentsLength);
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
