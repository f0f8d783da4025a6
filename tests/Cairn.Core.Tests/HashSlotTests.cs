using System.Text;
using Cairn.Core;

namespace Cairn.Core.Tests;

public class HashSlotTests
{
    [Fact]
    public void Crc16_matches_the_xmodem_check_value_redis_publishes()
    {
        Assert.Equal(0x31C3, Crc16.Compute("123456789"u8));
    }

    [Theory]
    // Slots redis-cli's CLUSTER KEYSLOT reports for these keys.
    [InlineData("foo", 12182)]
    [InlineData("bar", 5061)]
    [InlineData("hello", 866)]
    [InlineData("123456789", 0x31C3 & 16383)]
    [InlineData("", 0)]
    public void Slot_is_crc16_of_the_key_modulo_16384(string key, int slot)
    {
        Assert.Equal(slot, HashSlot.Of(key));
    }

    [Fact]
    public void Keys_with_the_same_hash_tag_share_a_slot()
    {
        Assert.Equal(HashSlot.Of("{user1000}.following"), HashSlot.Of("{user1000}.followers"));
        Assert.Equal(HashSlot.Of("user1000"), HashSlot.Of("{user1000}.following"));
    }

    [Fact]
    public void An_empty_tag_hashes_the_whole_key()
    {
        Assert.Equal("foo{}{bar}", Encoding.ASCII.GetString(HashSlot.HashTag("foo{}{bar}"u8)));
        Assert.Equal(Crc16.Compute("foo{}{bar}"u8) & 16383, HashSlot.Of("foo{}{bar}"));
    }

    [Fact]
    public void The_tag_ends_at_the_first_closing_brace()
    {
        Assert.Equal("{bar", Encoding.ASCII.GetString(HashSlot.HashTag("foo{{bar}}"u8)));
        Assert.Equal(HashSlot.Of("{bar"), HashSlot.Of("foo{{bar}}"));
        Assert.Equal("bar", Encoding.ASCII.GetString(HashSlot.HashTag("foo{bar}{zap}"u8)));
    }

    [Fact]
    public void An_unclosed_brace_hashes_the_whole_key()
    {
        Assert.Equal("foo{bar", Encoding.ASCII.GetString(HashSlot.HashTag("foo{bar"u8)));
    }

    [Fact]
    public void Every_slot_is_in_range()
    {
        var random = new Random(7);
        var key = new byte[24];
        for (var i = 0; i < 10_000; i++)
        {
            random.NextBytes(key);
            Assert.InRange(HashSlot.Of(key), 0, HashSlot.Count - 1);
        }
    }
}
