using System.Text;
using Cairn.Client.Resp;

namespace Cairn.Client.Integration.Tests;

public sealed class RespReplyReaderTests
{
    [Fact]
    public async Task Reads_each_resp2_type()
    {
        var replies = await ReadAllAsync("+OK\r\n-ERR bad thing\r\n:-42\r\n$5\r\nhe\r\nl\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n", 8);
        Assert.Equal(RespReplyKind.SimpleString, replies[0].Kind);
        Assert.Equal("OK", replies[0].Text);
        Assert.True(replies[1].IsError);
        Assert.Equal("ERR bad thing", replies[1].Text);
        Assert.Equal(-42, replies[2].AsInteger());
        Assert.Equal("he\r\nl"u8.ToArray(), replies[3].AsBytes()); // binary safe: CRLF inside a bulk string
        Assert.Empty(replies[4].AsBytes()!);
        Assert.True(replies[5].IsNull);
        Assert.True(replies[6].IsNull);
        Assert.Empty(replies[7].AsArray());
    }

    [Fact]
    public async Task Reads_nested_arrays_such_as_a_scanprefix_reply()
    {
        var reply = Assert.Single(await ReadAllAsync("*2\r\n$5\r\nk2f61\r\n*4\r\n$2\r\n/a\r\n:3\r\n$2\r\n/b\r\n:0\r\n", 1));
        var page = ScanPrefixReply.Parse(reply.AsArray(), withValues: false);
        Assert.Equal("k2f61", page.Cursor);
        Assert.False(page.IsLast);
        Assert.Equal(["/a", "/b"], page.Entries.Select(e => Encoding.UTF8.GetString(e.Key)));
        Assert.Equal([3, 0], page.Entries.Select(e => e.Size));
        Assert.All(page.Entries, e => Assert.Null(e.Value));
    }

    [Fact]
    public async Task Parses_a_scanprefix_reply_with_values()
    {
        var reply = Assert.Single(await ReadAllAsync("*2\r\n$1\r\n0\r\n*3\r\n$2\r\n/a\r\n:3\r\n$3\r\nxyz\r\n", 1));
        var page = ScanPrefixReply.Parse(reply.AsArray(), withValues: true);
        Assert.True(page.IsLast);
        Assert.Equal("xyz"u8.ToArray(), Assert.Single(page.Entries).Value);
    }

    [Fact]
    public async Task A_scanprefix_reply_of_the_wrong_shape_is_a_protocol_error()
    {
        var reply = Assert.Single(await ReadAllAsync("*2\r\n$1\r\n0\r\n*3\r\n$2\r\n/a\r\n:3\r\n$3\r\nxyz\r\n", 1));
        Assert.Throws<RespProtocolException>(() => ScanPrefixReply.Parse(reply.AsArray(), withValues: false));
    }

    [Fact]
    public async Task Reads_the_resp3_types_a_server_may_send()
    {
        var replies = await ReadAllAsync("_\r\n#t\r\n,1.5\r\n%1\r\n+k\r\n:1\r\n~1\r\n+m\r\n=7\r\ntxt:abc\r\n", 6);
        Assert.True(replies[0].IsNull);
        Assert.Equal(1, replies[1].AsInteger());
        Assert.Equal("1.5", replies[2].AsString());
        Assert.Equal(2, replies[3].AsArray().Count);
        Assert.Single(replies[4].AsArray());
        Assert.Equal("abc", replies[5].AsString());
    }

    [Fact]
    public async Task Replies_split_across_many_small_reads_are_reassembled()
    {
        var value = new string('v', 200_000);
        var text = $"*2\r\n${value.Length}\r\n{value}\r\n:7\r\n+after\r\n";
        using var stream = new TrickleStream(Encoding.ASCII.GetBytes(text), chunk: 3);
        var reader = new RespReplyReader(stream);
        var array = (await reader.ReadAsync()).AsArray();
        Assert.Equal(value, array[0].AsString());
        Assert.Equal(7, array[1].AsInteger());
        Assert.Equal("after", (await reader.ReadAsync()).Text);
    }

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData(":12x\r\n")]
    [InlineData("$3\r\nabcd\r\n")]
    [InlineData("+no carriage return\n")]
    [InlineData("$-2\r\n")]
    [InlineData("*-5\r\n")]
    [InlineData("#x\r\n")]
    public async Task Malformed_replies_are_protocol_errors(string text)
    {
        var reader = new RespReplyReader(new MemoryStream(Encoding.ASCII.GetBytes(text)));
        await Assert.ThrowsAsync<RespProtocolException>(async () => await reader.ReadAsync());
    }

    [Fact]
    public async Task Limits_bound_bulk_strings_arrays_lines_and_nesting()
    {
        await Assert.ThrowsAsync<RespProtocolException>(async () => await new RespReplyReader(Stream("$1000\r\n"), maxBulkLength: 999).ReadAsync());
        await Assert.ThrowsAsync<RespProtocolException>(async () => await new RespReplyReader(Stream("*1000\r\n"), maxArrayLength: 999).ReadAsync());
        await Assert.ThrowsAsync<RespProtocolException>(async () => await new RespReplyReader(Stream("+" + new string('x', 70_000) + "\r\n")).ReadAsync());
        await Assert.ThrowsAsync<RespProtocolException>(async () => await new RespReplyReader(Stream(string.Concat(Enumerable.Repeat("*1\r\n", 40)) + ":1\r\n")).ReadAsync());
    }

    [Fact]
    public async Task A_stream_that_ends_mid_reply_is_end_of_stream()
    {
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await new RespReplyReader(Stream("$10\r\nabc")).ReadAsync());
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await new RespReplyReader(Stream("*2\r\n:1\r\n")).ReadAsync());
    }

    [Fact]
    public void Error_replies_throw_with_their_code_and_type_mismatches_are_protocol_errors()
    {
        var error = Assert.Throws<RespServerException>(() => RespReply.Error("WRONGPASS invalid password").AsInteger());
        Assert.Equal("WRONGPASS", error.Code);
        Assert.Throws<RespProtocolException>(() => RespReply.FromInteger(1).AsArray());
        Assert.Equal(12, RespReply.FromBulk("12"u8.ToArray()).AsInteger());
    }

    [Theory]
    [InlineData("127.0.0.1:6380", "127.0.0.1", 6380)]
    [InlineData("localhost", "localhost", 6379)]
    [InlineData(":7000", "127.0.0.1", 7000)]
    [InlineData("[::1]:7001", "::1", 7001)]
    [InlineData("::1", "::1", 6379)]
    public void Addresses_parse(string text, string host, int port) =>
        Assert.Equal((host, port), RespClientOptions.ParseAddress(text));

    [Theory]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:x")]
    public void Bad_addresses_are_format_errors(string text) =>
        Assert.Throws<FormatException>(() => RespClientOptions.ParseAddress(text));

    private static MemoryStream Stream(string text) => new(Encoding.ASCII.GetBytes(text));

    private static async Task<List<RespReply>> ReadAllAsync(string text, int count)
    {
        var reader = new RespReplyReader(Stream(text));
        var replies = new List<RespReply>();
        for (var i = 0; i < count; i++)
        {
            replies.Add(await reader.ReadAsync());
        }

        return replies;
    }

    /// <summary>A stream that returns at most a few bytes per read, as a slow network may.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
