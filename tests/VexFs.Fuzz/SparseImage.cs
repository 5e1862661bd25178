using System.Buffers.Binary;
using VexFs.BlockDevices;

namespace VexFs.Fuzz;

/// <summary>
/// A whole image as a fuzz input: its non-zero blocks only, each as a 16-bit block number and the block's
/// bytes, over an all-zero device of <see cref="SampleImage.Length"/> bytes. A sample image takes a few
/// dozen KiB instead of a MiB, and a mutation of a number moves a block.
/// </summary>
internal static class SparseImage
{
    private const int RecordSize = sizeof(ushort) + SampleImage.BlockSize;

    public static byte[] Encode(BlockDevice device)
    {
        var output = new MemoryStream();
        var block = new byte[SampleImage.BlockSize];
        Span<byte> number = stackalloc byte[sizeof(ushort)];
        for (int b = 0; b < device.Length / SampleImage.BlockSize; b++)
        {
            device.Read((long)b * SampleImage.BlockSize, block);
            if (block.AsSpan().ContainsAnyExcept((byte)0))
            {
                BinaryPrimitives.WriteUInt16LittleEndian(number, (ushort)b);
                output.Write(number);
                output.Write(block);
            }
        }

        return output.ToArray();
    }

    public static MemoryBlockDevice Decode(ReadOnlySpan<byte> input)
    {
        var device = new MemoryBlockDevice(SampleImage.Length);
        var block = new byte[SampleImage.BlockSize];
        long blocks = SampleImage.Length / SampleImage.BlockSize;
        for (int at = 0; at + sizeof(ushort) < input.Length; at += RecordSize)
        {
            long number = BinaryPrimitives.ReadUInt16LittleEndian(input[at..]) % blocks;
            var bytes = input[(at + sizeof(ushort))..];
            bytes = bytes[..Math.Min(bytes.Length, SampleImage.BlockSize)];
            block.AsSpan().Clear();
            bytes.CopyTo(block);
            device.Write(number * SampleImage.BlockSize, block);
        }

        return device;
    }
}
