using Cairn.Core;

namespace Cairn.Core.Tests;

public class Crc32CTests
{
    [Fact]
    public void Matches_the_castagnoli_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Matches_rfc3720_test_vectors()
    {
        // iSCSI (RFC 3720 B.4): 32 bytes of zeros, of 0xFF, and an ascending run.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void Append_equals_computing_the_concatenation()
    {
        var data = new byte[1000];
        new Random(3).NextBytes(data);
        for (var split = 0; split <= data.Length; split += 37)
        {
            Assert.Equal(Crc32C.Compute(data), Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }

    [Fact]
    public void A_flipped_bit_changes_the_checksum()
    {
        var data = new byte[4096];
        new Random(5).NextBytes(data);
        var before = Crc32C.Compute(data);
        data[1234] ^= 0x10;
        Assert.NotEqual(before, Crc32C.Compute(data));
    }
}
