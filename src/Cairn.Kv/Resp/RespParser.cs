using System.Buffers.Text;

namespace Cairn.Kv.Resp;

/// <summary>What parsing the front of a receive buffer found.</summary>
internal enum ParseResult
{
    /// <summary>A whole request; its bytes are consumed.</summary>
    Complete,

    /// <summary>The request is not all here yet.</summary>
    Incomplete,

    /// <summary>The bytes break the protocol or a limit; reply with the error and close the connection.</summary>
    ProtocolError,
}

/// <summary>
/// Parses client requests in place: RESP arrays of bulk strings (what every client library sends) and inline
/// commands (what a person types into telnet), as Redis does. Every length is checked against
/// <see cref="RespLimits"/> before the data it announces is waited for, so a hostile length cannot make the server
/// buffer without bound. Errors use Redis's wording.
/// </summary>
internal static class RespParser
{
    private const int MaxHeaderLine = 32; // "*1000000\r\n" and "$16842752\r\n" fit with room to spare

    /// <summary>Parses the request at the front of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The unconsumed bytes.</param>
    /// <param name="request">Receives the arguments.</param>
    /// <param name="limits">The limits to enforce.</param>
    /// <param name="consumed">The request's length, when complete.</param>
    /// <param name="error">The protocol error, when there is one.</param>
    /// <param name="needed">When incomplete inside a bulk string: the buffer length that will hold the whole of it, so
    /// the caller need not parse again before then (a large value arrives in many reads).</param>
    public static ParseResult TryParse(ReadOnlySpan<byte> buffer, RespRequest request, RespLimits limits, out int consumed, out string? error, out long needed)
    {
        needed = 0;
        var result = TryParse(buffer, request, limits, out consumed, out error);
        if (result == ParseResult.Incomplete)
        {
            needed = request.PendingBulkEnd;
        }

        return result;
    }

    public static ParseResult TryParse(ReadOnlySpan<byte> buffer, RespRequest request, RespLimits limits, out int consumed, out string? error)
    {
        consumed = 0;
        error = null;
        request.PendingBulkEnd = 0;
        if (buffer.IsEmpty)
        {
            return ParseResult.Incomplete;
        }

        return buffer[0] == (byte)'*'
            ? ParseMultiBulk(buffer, request, limits, out consumed, out error)
            : ParseInline(buffer, request, limits, out consumed, out error);
    }

    private static ParseResult ParseMultiBulk(ReadOnlySpan<byte> buffer, RespRequest request, RespLimits limits, out int consumed, out string? error)
    {
        consumed = 0;
        error = null;
        var status = ReadNumberLine(buffer, 1, out var count, out var position);
        if (status != ParseResult.Complete)
        {
            error = status == ParseResult.ProtocolError ? "Protocol error: invalid multibulk length" : null;
            return status;
        }

        if (count > limits.MaxArrayLength)
        {
            error = "Protocol error: invalid multibulk length";
            return ParseResult.ProtocolError;
        }

        request.Reset(inline: false, expected: (int)Math.Max(count, 0));
        if (count <= 0)
        {
            consumed = position; // "*0" and "*-1" are empty requests: nothing to run
            return ParseResult.Complete;
        }

        for (var i = 0; i < count; i++)
        {
            if (position >= buffer.Length)
            {
                return ParseResult.Incomplete;
            }

            if (buffer[position] != (byte)'$')
            {
                error = $"Protocol error: expected '$', got '{Printable(buffer[position])}'";
                return ParseResult.ProtocolError;
            }

            status = ReadNumberLine(buffer, position + 1, out var length, out var dataStart);
            if (status != ParseResult.Complete)
            {
                error = status == ParseResult.ProtocolError ? "Protocol error: invalid bulk length" : null;
                return status;
            }

            if (length < 0 || length > limits.MaxBulkLength)
            {
                error = "Protocol error: invalid bulk length";
                return ParseResult.ProtocolError;
            }

            if ((long)dataStart + length + 2 > buffer.Length)
            {
                request.PendingBulkEnd = dataStart + length + 2;
                return ParseResult.Incomplete;
            }

            if (buffer[dataStart + (int)length] != (byte)'\r' || buffer[dataStart + (int)length + 1] != (byte)'\n')
            {
                error = "Protocol error: expected '\\r\\n' after bulk data";
                return ParseResult.ProtocolError;
            }

            request.Add(dataStart, (int)length);
            position = dataStart + (int)length + 2;
        }

        consumed = position;
        return ParseResult.Complete;
    }

    /// <summary>Reads "&lt;integer&gt;\r\n" starting at <paramref name="start"/>.</summary>
    private static ParseResult ReadNumberLine(ReadOnlySpan<byte> buffer, int start, out long value, out int next)
    {
        value = 0;
        next = 0;
        var rest = buffer[start..];
        var end = rest.IndexOf((byte)'\r');
        if (end < 0)
        {
            return rest.Length > MaxHeaderLine ? ParseResult.ProtocolError : ParseResult.Incomplete;
        }

        if (end > MaxHeaderLine || end == 0)
        {
            return ParseResult.ProtocolError;
        }

        if (end + 1 >= rest.Length)
        {
            return ParseResult.Incomplete;
        }

        if (rest[end + 1] != (byte)'\n' || !Utf8Parser.TryParse(rest[..end], out value, out var used) || used != end)
        {
            return ParseResult.ProtocolError;
        }

        next = start + end + 2;
        return ParseResult.Complete;
    }

    private static ParseResult ParseInline(ReadOnlySpan<byte> buffer, RespRequest request, RespLimits limits, out int consumed, out string? error)
    {
        consumed = 0;
        error = null;
        var newline = buffer.IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (buffer.Length > limits.MaxInlineLength)
            {
                error = "Protocol error: too big inline request";
                return ParseResult.ProtocolError;
            }

            return ParseResult.Incomplete;
        }

        if (newline > limits.MaxInlineLength)
        {
            error = "Protocol error: too big inline request";
            return ParseResult.ProtocolError;
        }

        var line = buffer[..newline];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        request.Reset(inline: true, expected: 8);
        if (!InlineSplitter.TrySplit(line, request))
        {
            error = "Protocol error: unbalanced quotes in request";
            return ParseResult.ProtocolError;
        }

        consumed = newline + 1;
        return ParseResult.Complete;
    }

    private static string Printable(byte b) => b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:x2}";
}
