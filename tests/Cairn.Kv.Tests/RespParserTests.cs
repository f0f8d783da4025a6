using System.Text;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Tests;

public class RespParserTests
{
    private static readonly RespLimits Defaults = new();

    private sealed record Parsed(ParseResult Result, string[] Args, int Consumed, string? Error, long Needed);

    private static Parsed Parse(byte[] input, RespLimits? limits = null)
    {
        var request = new RespRequest();
        var result = RespParser.TryParse(input, request, limits ?? Defaults, out var consumed, out var error, out var needed);
        var args = result == ParseResult.Complete
            ? Enumerable.Range(0, request.Count).Select(i => Encoding.Latin1.GetString(request.Arg(input, i))).ToArray()
            : [];
        return new Parsed(result, args, consumed, error, needed);
    }

    private static Parsed Parse(string input, RespLimits? limits = null) => Parse(Encoding.Latin1.GetBytes(input), limits);

    [Fact]
    public void An_array_of_bulk_strings_is_one_request()
    {
        const string input = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n";
        var parsed = Parse(input);
        Assert.Equal(ParseResult.Complete, parsed.Result);
        Assert.Equal(["SET", "key", "hello"], parsed.Args);
        Assert.Equal(input.Length, parsed.Consumed);
        Assert.Null(parsed.Error);
    }

    [Fact]
    public void Bulk_strings_are_binary_safe_and_may_be_empty()
    {
        var parsed = Parse("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$6\r\na\r\n\0\u00ffb\r\n");
        Assert.Equal(ParseResult.Complete, parsed.Result);
        Assert.Equal(["SET", string.Empty, "a\r\n\0\u00ffb"], parsed.Args);
    }

    [Fact]
    public void Pipelined_requests_are_parsed_one_at_a_time()
    {
        const string first = "*1\r\n$4\r\nPING\r\n";
        const string second = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        var parsed = Parse(first + second + "PING\r\n");
        Assert.Equal(ParseResult.Complete, parsed.Result);
        Assert.Equal(["PING"], parsed.Args);
        Assert.Equal(first.Length, parsed.Consumed);

        var rest = Parse((first + second + "PING\r\n")[first.Length..]);
        Assert.Equal(["GET", "k"], rest.Args);
        Assert.Equal(second.Length, rest.Consumed);
    }

    [Theory]
    [InlineData("*0\r\n")]
    [InlineData("*-1\r\n")]
    public void An_empty_or_null_array_is_an_empty_request_that_is_consumed(string input)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.Complete, parsed.Result);
        Assert.Empty(parsed.Args);
        Assert.Equal(input.Length, parsed.Consumed);
    }

    [Theory]
    [InlineData("SET k v\r\n", new[] { "SET", "k", "v" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("  set \t  key   value  \r\n", new[] { "set", "key", "value" })]
    [InlineData("SET \"a b\" 'c d'\r\n", new[] { "SET", "a b", "c d" })]
    [InlineData("ECHO \"\\x41\\x4a\\x7e\"\r\n", new[] { "ECHO", "AJ~" })]
    [InlineData("ECHO \"\\n\\r\\t\\b\\a\\\\\\\"\"\r\n", new[] { "ECHO", "\n\r\t\b\a\\\"" })]
    [InlineData("ECHO \"\\xZZ\\q\"\r\n", new[] { "ECHO", "xZZq" })]
    [InlineData("ECHO 'it\\'s'\r\n", new[] { "ECHO", "it's" })]
    [InlineData("ECHO 'no \\n escapes \"here\"'\r\n", new[] { "ECHO", "no \\n escapes \"here\"" })]
    [InlineData("ECHO foo\"bar baz\"\r\n", new[] { "ECHO", "foobar baz" })]
    [InlineData("ECHO \"\" ''\r\n", new[] { "ECHO", "", "" })]
    public void Inline_commands_split_like_sdssplitargs(string input, string[] expected)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.Complete, parsed.Result);
        Assert.Equal(expected, parsed.Args);
        Assert.Equal(input.Length, parsed.Consumed);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("   \r\n")]
    [InlineData("\n")]
    public void A_blank_inline_line_is_an_empty_request(string input)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.Complete, parsed.Result);
        Assert.Empty(parsed.Args);
        Assert.Equal(input.Length, parsed.Consumed);
    }

    [Theory]
    [InlineData("ECHO \"abc\r\n")]
    [InlineData("ECHO 'abc\r\n")]
    [InlineData("ECHO \"abc\"def\r\n")]
    [InlineData("ECHO 'abc'def\r\n")]
    [InlineData("ECHO \"abc\\\"\r\n")]
    public void Unbalanced_quotes_are_a_protocol_error(string input)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.ProtocolError, parsed.Result);
        Assert.Equal("Protocol error: unbalanced quotes in request", parsed.Error);
    }

    public static TheoryData<string> ValidRequests => new()
    {
        "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n",
        "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
        "*1\r\n$4\r\nPING\r\n",
        "*0\r\n",
        "*-1\r\n",
        "SET \"a b\" 'c d'\r\n",
        "PING\n",
        "*2\r\n$4\r\nECHO\r\n$12\r\n0123456789\r\n\r\n",
    };

    [Theory]
    [MemberData(nameof(ValidRequests))]
    public void A_request_cut_anywhere_is_incomplete_until_all_of_it_has_arrived(string request)
    {
        var bytes = Encoding.Latin1.GetBytes(request);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var partial = Parse(bytes[..cut]);
            Assert.True(partial.Result == ParseResult.Incomplete, $"prefix of {cut} bytes of {Escape(request)}: {partial.Result} {partial.Error}");
            Assert.Equal(0, partial.Consumed);
        }

        var whole = Parse(bytes);
        Assert.Equal(ParseResult.Complete, whole.Result);
        Assert.Equal(bytes.Length, whole.Consumed);
    }

    [Fact]
    public void Inside_a_bulk_string_the_parser_says_how_many_bytes_the_request_needs()
    {
        const string whole = "*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n";
        var parsed = Parse(whole[..20]);
        Assert.Equal(ParseResult.Incomplete, parsed.Result);
        Assert.Equal(whole.Length, parsed.Needed);
    }

    [Fact]
    public void An_array_longer_than_the_limit_is_refused_before_its_elements_arrive()
    {
        var parsed = Parse("*1000001\r\n");
        Assert.Equal(ParseResult.ProtocolError, parsed.Result);
        Assert.Equal("Protocol error: invalid multibulk length", parsed.Error);

        var small = Parse("*5\r\n", new RespLimits { MaxArrayLength = 4 });
        Assert.Equal("Protocol error: invalid multibulk length", small.Error);
        Assert.Equal(ParseResult.Incomplete, Parse("*4\r\n", new RespLimits { MaxArrayLength = 4 }).Result);
    }

    [Theory]
    [InlineData("*1\r\n$999999999999\r\n")]
    [InlineData("*1\r\n$16842753\r\n")]
    [InlineData("*1\r\n$-1\r\n")]
    [InlineData("*1\r\n$abc\r\n")]
    [InlineData("*1\r\n$\r\n")]
    [InlineData("*1\r\n$12345678901234567890123456789012345678901234567890")]
    public void A_bad_or_oversized_bulk_length_is_refused_before_the_data_arrives(string input)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.ProtocolError, parsed.Result);
        Assert.Equal("Protocol error: invalid bulk length", parsed.Error);
    }

    [Fact]
    public void The_bulk_limit_is_configurable()
    {
        var limits = new RespLimits { MaxBulkLength = 10 };
        Assert.Equal(ParseResult.Complete, Parse("*1\r\n$10\r\n0123456789\r\n", limits).Result);
        Assert.Equal("Protocol error: invalid bulk length", Parse("*1\r\n$11\r\n", limits).Error);
    }

    [Theory]
    [InlineData("*abc\r\n")]
    [InlineData("*\r\n")]
    [InlineData("*1x\r\n")]
    [InlineData("*1\rX")]
    [InlineData("*12345678901234567890123456789012345678901234567890")]
    public void A_bad_array_length_is_a_protocol_error(string input)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.ProtocolError, parsed.Result);
        Assert.Equal("Protocol error: invalid multibulk length", parsed.Error);
    }

    [Theory]
    [InlineData("*1\r\n*1\r\n", "Protocol error: expected '$', got '*'")]
    [InlineData("*2\r\n$1\r\na\r\n:5\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*1\r\nPING\r\n", "Protocol error: expected '$', got 'P'")]
    public void An_array_element_that_is_not_a_bulk_string_is_a_protocol_error(string input, string error)
    {
        var parsed = Parse(input);
        Assert.Equal(ParseResult.ProtocolError, parsed.Result);
        Assert.Equal(error, parsed.Error);
    }

    [Fact]
    public void Bulk_data_not_followed_by_crlf_is_a_protocol_error()
    {
        var parsed = Parse("*1\r\n$3\r\nabcXY");
        Assert.Equal(ParseResult.ProtocolError, parsed.Result);
        Assert.StartsWith("Protocol error:", parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inline_request_longer_than_the_limit_is_refused_without_waiting_for_its_end()
    {
        var noNewline = Parse(new string('a', (64 * 1024) + 1));
        Assert.Equal(ParseResult.ProtocolError, noNewline.Result);
        Assert.Equal("Protocol error: too big inline request", noNewline.Error);

        var limits = new RespLimits { MaxInlineLength = 16 };
        Assert.Equal(ParseResult.Incomplete, Parse(new string('a', 16), limits).Result);
        Assert.Equal("Protocol error: too big inline request", Parse(new string('a', 17), limits).Error);
        Assert.Equal("Protocol error: too big inline request", Parse(new string('a', 20) + "\r\n", limits).Error);
        Assert.Equal(ParseResult.Complete, Parse("ECHO 0123456789\r\n", limits).Result);
    }

    [Fact]
    public void Random_garbage_never_throws_and_never_consumes_more_than_it_was_given()
    {
        var random = new Random(1234);
        var limits = new RespLimits { MaxArrayLength = 1000, MaxBulkLength = 1000, MaxInlineLength = 1000 };
        byte[] alphabet = "*$:+-\r\n0123456789 \"'\\x\0\xff"u8.ToArray();
        for (var round = 0; round < 20_000; round++)
        {
            var input = new byte[random.Next(0, 64)];
            for (var i = 0; i < input.Length; i++)
            {
                input[i] = random.Next(3) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            var parsed = Parse(input, limits);
            Assert.InRange(parsed.Consumed, 0, input.Length);
            switch (parsed.Result)
            {
                case ParseResult.Complete:
                    Assert.True(parsed.Consumed > 0, $"a complete request consumes bytes: {Escape(Encoding.Latin1.GetString(input))}");
                    break;
                case ParseResult.ProtocolError:
                    Assert.StartsWith("Protocol error: ", parsed.Error, StringComparison.Ordinal);
                    break;
                default:
                    Assert.Null(parsed.Error);
                    break;
            }
        }
    }

    private static string Escape(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
