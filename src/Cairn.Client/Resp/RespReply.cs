using System.Globalization;
using System.Text;

namespace Cairn.Client.Resp;

/// <summary>What kind of reply a RESP server sent.</summary>
public enum RespReplyKind
{
    /// <summary>A status line such as <c>+OK</c>.</summary>
    SimpleString,

    /// <summary>An error line such as <c>-ERR syntax error</c>.</summary>
    Error,

    /// <summary>An integer, <c>:42</c> (RESP3 booleans arrive as 1 or 0).</summary>
    Integer,

    /// <summary>A binary-safe string, <c>$3\r\nfoo</c>.</summary>
    BulkString,

    /// <summary>An array of replies (RESP3 maps and sets arrive flattened as arrays).</summary>
    Array,

    /// <summary>The absent value: RESP2's <c>$-1</c> and <c>*-1</c>, RESP3's <c>_</c>.</summary>
    Null,
}

/// <summary>One reply of a RESP server, parsed.</summary>
public sealed class RespReply
{
    private static readonly RespReply s_null = new(RespReplyKind.Null, null, 0, null, null);

    private RespReply(RespReplyKind kind, string? text, long integer, byte[]? bulk, IReadOnlyList<RespReply>? items)
    {
        Kind = kind;
        Text = text;
        Integer = integer;
        Bulk = bulk;
        Items = items;
    }

    /// <summary>The kind of reply.</summary>
    public RespReplyKind Kind { get; }

    /// <summary>The text of a simple string or error reply.</summary>
    public string? Text { get; }

    /// <summary>The value of an integer reply.</summary>
    public long Integer { get; }

    /// <summary>The bytes of a bulk string reply.</summary>
    public byte[]? Bulk { get; }

    /// <summary>The elements of an array reply.</summary>
    public IReadOnlyList<RespReply>? Items { get; }

    /// <summary>Whether this is the absent value.</summary>
    public bool IsNull => Kind == RespReplyKind.Null;

    /// <summary>Whether this is an error reply.</summary>
    public bool IsError => Kind == RespReplyKind.Error;

    /// <summary>The null reply.</summary>
    public static RespReply Null => s_null;

    /// <summary>A simple string reply.</summary>
    public static RespReply SimpleString(string text) => new(RespReplyKind.SimpleString, text, 0, null, null);

    /// <summary>An error reply.</summary>
    public static RespReply Error(string text) => new(RespReplyKind.Error, text, 0, null, null);

    /// <summary>An integer reply.</summary>
    public static RespReply FromInteger(long value) => new(RespReplyKind.Integer, null, value, null, null);

    /// <summary>A bulk string reply.</summary>
    public static RespReply FromBulk(byte[] value) => new(RespReplyKind.BulkString, null, 0, value, null);

    /// <summary>An array reply.</summary>
    public static RespReply FromArray(IReadOnlyList<RespReply> items) => new(RespReplyKind.Array, null, 0, null, items);

    /// <summary>Throws <see cref="RespServerException"/> when this is an error reply; returns the reply otherwise.</summary>
    public RespReply ThrowIfError() => IsError ? throw new RespServerException(Text ?? string.Empty) : this;

    /// <summary>The integer this reply holds (an integer, or a bulk or simple string of digits).</summary>
    /// <exception cref="RespProtocolException">The reply is not an integer.</exception>
    public long AsInteger()
    {
        ThrowIfError();
        return Kind switch
        {
            RespReplyKind.Integer => Integer,
            RespReplyKind.BulkString or RespReplyKind.SimpleString when long.TryParse(AsString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) => value,
            _ => throw Unexpected("an integer"),
        };
    }

    /// <summary>The bytes of a bulk string, or null for the null reply.</summary>
    /// <exception cref="RespProtocolException">The reply is neither.</exception>
    public byte[]? AsBytes()
    {
        ThrowIfError();
        return Kind switch
        {
            RespReplyKind.BulkString => Bulk,
            RespReplyKind.SimpleString => Encoding.UTF8.GetBytes(Text!),
            RespReplyKind.Null => null,
            _ => throw Unexpected("a string"),
        };
    }

    /// <summary>The text of a bulk or simple string (UTF-8), or null for the null reply.</summary>
    /// <exception cref="RespProtocolException">The reply is not a string.</exception>
    public string? AsString() => Kind == RespReplyKind.SimpleString ? Text : AsBytes() is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>The elements of an array reply (empty for the null array).</summary>
    /// <exception cref="RespProtocolException">The reply is not an array.</exception>
    public IReadOnlyList<RespReply> AsArray()
    {
        ThrowIfError();
        return Kind switch
        {
            RespReplyKind.Array => Items!,
            RespReplyKind.Null => [],
            _ => throw Unexpected("an array"),
        };
    }

    /// <summary>The reply as redis-cli would show it, for messages.</summary>
    public override string ToString() => Kind switch
    {
        RespReplyKind.SimpleString => Text!,
        RespReplyKind.Error => "(error) " + Text,
        RespReplyKind.Integer => "(integer) " + Integer.ToString(CultureInfo.InvariantCulture),
        RespReplyKind.BulkString => "\"" + Encoding.UTF8.GetString(Bulk!) + "\"",
        RespReplyKind.Array => "[" + string.Join(", ", Items!) + "]",
        _ => "(nil)",
    };

    private RespProtocolException Unexpected(string wanted) => new($"expected {wanted} reply, got {Kind}: {Truncate(ToString())}");

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
