using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Cairn.Kv.Resp;

/// <summary>
/// Writes RESP2 and RESP3 replies straight into the connection's output buffer. Nothing here allocates except
/// error texts built for rare replies.
/// </summary>
internal static class RespWriter
{
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static void Raw(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        var span = writer.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        writer.Advance(bytes.Length);
    }

    public static void Ok(IBufferWriter<byte> writer) => Raw(writer, "+OK\r\n"u8);

    public static void SimpleString(IBufferWriter<byte> writer, ReadOnlySpan<byte> text)
    {
        var span = writer.GetSpan(text.Length + 3);
        span[0] = (byte)'+';
        text.CopyTo(span[1..]);
        Crlf.CopyTo(span[(1 + text.Length)..]);
        writer.Advance(text.Length + 3);
    }

    public static void SimpleString(IBufferWriter<byte> writer, string text) => SimpleString(writer, Encoding.UTF8.GetBytes(text));

    /// <summary>An error reply; <paramref name="message"/> starts with its code (ERR, WRONGTYPE, NOAUTH …).</summary>
    public static void Error(IBufferWriter<byte> writer, string message)
    {
        // An error is one line: a newline inside would desynchronise the client.
        var clean = message.Replace('\r', ' ').Replace('\n', ' ');
        var bytes = Encoding.UTF8.GetBytes(clean);
        var span = writer.GetSpan(bytes.Length + 3);
        span[0] = (byte)'-';
        bytes.CopyTo(span[1..]);
        Crlf.CopyTo(span[(1 + bytes.Length)..]);
        writer.Advance(bytes.Length + 3);
    }

    public static void Integer(IBufferWriter<byte> writer, long value) => Prefixed(writer, (byte)':', value);

    public static void Bulk(IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        var span = writer.GetSpan(value.Length + 24);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out var digits);
        var at = 1 + digits;
        Crlf.CopyTo(span[at..]);
        at += 2;
        value.CopyTo(span[at..]);
        at += value.Length;
        Crlf.CopyTo(span[at..]);
        writer.Advance(at + 2);
    }

    public static void Bulk(IBufferWriter<byte> writer, string value) => Bulk(writer, Encoding.UTF8.GetBytes(value));

    /// <summary>The absent value: RESP2 null bulk string, RESP3 null.</summary>
    public static void Null(IBufferWriter<byte> writer, int protocol) => Raw(writer, protocol >= 3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The absent array (e.g. a timed-out blocking command): RESP2 null array, RESP3 null.</summary>
    public static void NullArray(IBufferWriter<byte> writer, int protocol) => Raw(writer, protocol >= 3 ? "_\r\n"u8 : "*-1\r\n"u8);

    public static void ArrayHeader(IBufferWriter<byte> writer, long count) => Prefixed(writer, (byte)'*', count);

    /// <summary>A map of <paramref name="pairs"/> entries: RESP3 map, RESP2 flat array of keys and values.</summary>
    public static void MapHeader(IBufferWriter<byte> writer, int protocol, long pairs)
    {
        if (protocol >= 3)
        {
            Prefixed(writer, (byte)'%', pairs);
        }
        else
        {
            Prefixed(writer, (byte)'*', pairs * 2);
        }
    }

    /// <summary>A set of <paramref name="count"/> members: RESP3 set, RESP2 array.</summary>
    public static void SetHeader(IBufferWriter<byte> writer, int protocol, long count) =>
        Prefixed(writer, protocol >= 3 ? (byte)'~' : (byte)'*', count);

    /// <summary>A double: RESP3 ",1.5", RESP2 a bulk string.</summary>
    public static void Double(IBufferWriter<byte> writer, int protocol, double value)
    {
        var text = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (protocol >= 3)
        {
            SimpleStringWithPrefix(writer, (byte)',', text);
        }
        else
        {
            Bulk(writer, text);
        }
    }

    /// <summary>Text for a person (INFO, CLIENT LIST): RESP3 verbatim string, RESP2 bulk string.</summary>
    public static void Verbatim(IBufferWriter<byte> writer, int protocol, string text)
    {
        if (protocol < 3)
        {
            Bulk(writer, text);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes("txt:" + text);
        Prefixed(writer, (byte)'=', bytes.Length);
        Raw(writer, bytes);
        Raw(writer, Crlf);
    }

    private static void SimpleStringWithPrefix(IBufferWriter<byte> writer, byte prefix, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var span = writer.GetSpan(bytes.Length + 3);
        span[0] = prefix;
        bytes.CopyTo(span[1..]);
        Crlf.CopyTo(span[(1 + bytes.Length)..]);
        writer.Advance(bytes.Length + 3);
    }

    private static void Prefixed(IBufferWriter<byte> writer, byte prefix, long value)
    {
        var span = writer.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out var digits);
        Crlf.CopyTo(span[(1 + digits)..]);
        writer.Advance(digits + 3);
    }
}
