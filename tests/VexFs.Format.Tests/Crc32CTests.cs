using System.Buffers.Binary;
using FsCheck.Xunit;
using VexFs.Format.Checksums;

namespace VexFs.Format.Tests;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Matches_the_published_check_values(string text, uint expected) =>
        Assert.Equal(expected, Crc32C.Compute(System.Text.Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Thirty_two_zero_bytes_match_the_iscsi_test_vector() =>
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));

    [Property(MaxTest = 300)]
    public void Agrees_with_a_bitwise_reference(byte[] data) =>
        Assert.Equal(Reference(data), Crc32C.Compute(data));

    [Fact]
    public void Long_inputs_computed_in_three_streams_agree_with_the_bitwise_reference()
    {
        var random = new Random(32);
        int[] lengths = [4079, 4080, 4081, 4092, 4096, 8159, 8160, 8168, 65536, .. Enumerable.Range(0, 60).Select(_ => random.Next(0, 20_000))];
        foreach (int length in lengths)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.True(Reference(data) == Crc32C.Compute(data), $"{length} bytes");
        }
    }

    [Property(MaxTest = 200)]
    public void Skipping_a_field_equals_zeroing_it(byte[] data, byte where)
    {
        if (data.Length < 4)
        {
            return;
        }

        int offset = where % (data.Length - 3);
        var zeroed = (byte[])data.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(zeroed.AsSpan(offset), 0);
        Assert.Equal(Crc32C.Compute(zeroed), Crc32C.ComputeSkipping(data, offset));
    }

    private static uint Reference(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
