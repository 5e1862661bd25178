using System.Buffers.Binary;
using System.Text;
using MountVexfs.Fuse;
using MountVexfs.Host;

namespace VexFs.Mount.Tests;

/// <summary>Requests as the kernel writes them, built byte by byte from linux/fuse.h's layouts, and served without a kernel.</summary>
internal static class Requests
{
    /// <summary>A request: the 40-byte fuse_in_header, then <paramref name="arguments"/>.</summary>
    public static byte[] Bytes(Opcode opcode, ulong nodeId, byte[] arguments, ulong unique = 7, uint uid = 0, uint gid = 0)
    {
        var bytes = new byte[40 + arguments.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), unique);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), uid);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), gid);
        arguments.CopyTo(bytes, 40);
        return bytes;
    }

    public static FuseRequest Make(Opcode opcode, ulong nodeId, byte[] arguments, uint uid = 0, uint gid = 0)
    {
        byte[] bytes = Bytes(opcode, nodeId, arguments, uid: uid, gid: gid);
        return new FuseRequest(bytes);
    }

    /// <summary>Arguments: uint and ulong fields little-endian, strings NUL-terminated, byte arrays as they are.</summary>
    public static byte[] Args(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (object part in parts)
        {
            switch (part)
            {
                case uint u:
                    bytes.AddRange(BitConverter.GetBytes(u));
                    break;
                case ulong l:
                    bytes.AddRange(BitConverter.GetBytes(l));
                    break;
                case string s:
                    bytes.AddRange(Encoding.UTF8.GetBytes(s));
                    bytes.Add(0);
                    break;
                case byte[] raw:
                    bytes.AddRange(raw);
                    break;
                default:
                    throw new ArgumentException($"no wire form for {part.GetType().Name}");
            }
        }

        return [.. bytes];
    }

    /// <summary>Serves a request as a worker does: the errno (0 when it succeeded) and the answer's bytes.</summary>
    public static (int Errno, byte[] Answer) Call(VexFuseOperations operations, Opcode opcode, ulong nodeId, byte[] arguments, uint uid = 0, uint gid = 0)
    {
        var request = Make(opcode, nodeId, arguments, uid, gid);
        using var reply = new Reply();
        int errno;
        try
        {
            errno = operations.Handle(request, reply);
        }
        catch (Exception e)
        {
            errno = Errno.Of(e, out _);
        }

        var message = reply.Seal(request.Unique, errno);
        Assert.Equal((uint)message.Length, BinaryPrimitives.ReadUInt32LittleEndian(message));
        Assert.Equal(-errno, BinaryPrimitives.ReadInt32LittleEndian(message[4..]));
        Assert.Equal(request.Unique, BinaryPrimitives.ReadUInt64LittleEndian(message[8..]));
        return (errno, message[16..].ToArray());
    }
}
