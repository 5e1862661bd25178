using System.Buffers.Binary;
using System.Text;

namespace VexFs.BlockDevices.Nbd;

/// <summary>
/// One option the client sends during the handshake: a header and the option's data.
/// </summary>
/// <remarks>
/// <code>
/// // 0x00 u64 "IHAVEOPT"
/// // 0x08 u32 option (NBD_OPT_*)
/// // 0x0C u32 length of the data that follows
/// // 0x10 data
/// </code>
/// The data of NBD_OPT_GO:
/// <code>
/// // 0x00 u32 length of the export name
/// // 0x04 the export name, UTF-8, no terminator
/// //      u16 number of information requests
/// //      u16 each requested NBD_INFO_* type
/// </code>
/// NBD_OPT_EXPORT_NAME's data is the export name alone; NBD_OPT_STRUCTURED_REPLY and NBD_OPT_ABORT have none.
/// </remarks>
internal static class NbdOptionRequest
{
    public const int HeaderSize = 16;

    public static int GoDataSize(int nameBytes, int infoCount) => 4 + nameBytes + 2 + (2 * infoCount);

    public static void WriteHeader(Span<byte> destination, NbdOption option, int dataLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, NbdProtocol.OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[0x08..], (uint)option);
        BinaryPrimitives.WriteUInt32BigEndian(destination[0x0C..], (uint)dataLength);
    }

    /// <summary>Writes NBD_OPT_GO's data; returns its length.</summary>
    public static int WriteGoData(Span<byte> destination, string exportName, ReadOnlySpan<NbdInfoType> requests)
    {
        int nameBytes = Encoding.UTF8.GetBytes(exportName, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)nameBytes);
        int at = 4 + nameBytes;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)requests.Length);
        at += 2;
        foreach (var request in requests)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)request);
            at += 2;
        }

        return at;
    }
}
