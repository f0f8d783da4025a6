using Cairn.Core;

namespace Cairn.Core.Tests;

public class VarintTests
{
    [Theory]
    [InlineData(0ul, new byte[] { 0x00 })]
    [InlineData(1ul, new byte[] { 0x01 })]
    [InlineData(127ul, new byte[] { 0x7F })]
    [InlineData(128ul, new byte[] { 0x80, 0x01 })]
    [InlineData(300ul, new byte[] { 0xAC, 0x02 })]
    [InlineData(ulong.MaxValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    public void Encodes_like_protobuf(ulong value, byte[] expected)
    {
        var buffer = new byte[Varint.MaxLength];
        var written = Varint.Write(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOf(value));
        Assert.True(Varint.TryRead(expected, out var read, out var consumed));
        Assert.Equal(value, read);
        Assert.Equal(expected.Length, consumed);
    }

    [Fact]
    public void Round_trips_random_values()
    {
        var random = new Random(11);
        var buffer = new byte[Varint.MaxLength];
        for (var i = 0; i < 10_000; i++)
        {
            var value = (ulong)random.NextInt64() >> random.Next(64);
            var written = Varint.Write(buffer, value);
            Assert.True(Varint.TryRead(buffer.AsSpan(0, written), out var read, out var consumed));
            Assert.Equal((value, written), (read, consumed));
        }
    }

    [Fact]
    public void A_truncated_varint_is_not_read()
    {
        Assert.False(Varint.TryRead([0x80, 0x80], out _, out var consumed));
        Assert.Equal(0, consumed);
        Assert.False(Varint.TryRead([], out _, out _));
    }

    [Fact]
    public void A_varint_over_64_bits_is_rejected()
    {
        Assert.False(Varint.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], out _, out _));
        Assert.False(Varint.TryRead([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], out _, out _));
    }

    [Fact]
    public void Writing_into_too_small_a_buffer_says_so()
    {
        var error = Assert.Throws<ArgumentException>(() => Varint.Write(new byte[1], 300));
        Assert.Contains("does not fit", error.Message, StringComparison.Ordinal);
    }
}
