using System.Buffers.Text;
using System.Text;

namespace Cairn.Client.Resp;

/// <summary>
/// Reads RESP replies from a stream: RESP2 (<c>+ - : $ *</c>) and the RESP3 types a server may send a RESP2
/// client anyway (<c>_ # , ( % ~ =</c>). Bounded: lines, bulk strings, array lengths and nesting are limited, and
/// anything else is a <see cref="RespProtocolException"/>.
/// </summary>
internal sealed class RespReplyReader
{
    /// <summary>The longest line (status, error, length) accepted.</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>The deepest nesting of arrays accepted.</summary>
    public const int MaxDepth = 32;

    private readonly Stream _stream;
    private readonly Action? _beforeRead;
    private readonly long _maxBulkLength;
    private readonly int _maxArrayLength;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <param name="stream">The connection.</param>
    /// <param name="maxBulkLength">The largest bulk string accepted.</param>
    /// <param name="maxArrayLength">The most elements of one array accepted.</param>
    /// <param name="beforeRead">Called before every read from the stream (the connection re-arms its I/O timeout).</param>
    public RespReplyReader(Stream stream, long maxBulkLength = 512L * 1024 * 1024, int maxArrayLength = 4 * 1024 * 1024, Action? beforeRead = null)
    {
        _stream = stream;
        _maxBulkLength = maxBulkLength;
        _maxArrayLength = maxArrayLength;
        _beforeRead = beforeRead;
    }

    /// <summary>Reads one whole reply.</summary>
    /// <exception cref="RespProtocolException">The bytes are not a valid reply, or are over a limit.</exception>
    /// <exception cref="EndOfStreamException">The stream ended before the reply did.</exception>
    public ValueTask<RespReply> ReadAsync(CancellationToken cancellationToken = default) => ReadValueAsync(0, cancellationToken);

    private async ValueTask<RespReply> ReadValueAsync(int depth, CancellationToken cancellationToken)
    {
        var (type, line) = await ReadLineAsync(cancellationToken);
        switch (type)
        {
            case (byte)'+':
                return RespReply.SimpleString(Encoding.UTF8.GetString(line));
            case (byte)'-':
                return RespReply.Error(Encoding.UTF8.GetString(line));
            case (byte)':':
                return RespReply.FromInteger(ParseInteger(line));
            case (byte)'(':
                return RespReply.SimpleString(Encoding.ASCII.GetString(line)); // a big number, as text
            case (byte)',':
                return RespReply.SimpleString(Encoding.ASCII.GetString(line)); // a double, as text
            case (byte)'#':
                return line.Length == 1 && line[0] is (byte)'t' or (byte)'f'
                    ? RespReply.FromInteger(line[0] == (byte)'t' ? 1 : 0)
                    : throw new RespProtocolException("malformed boolean reply");
            case (byte)'_':
                return line.Length == 0 ? RespReply.Null : throw new RespProtocolException("malformed null reply");
            case (byte)'$':
            case (byte)'=':
                {
                    var length = ParseInteger(line);
                    if (length == -1 && type == (byte)'$')
                    {
                        return RespReply.Null;
                    }

                    if (length < 0 || length > _maxBulkLength)
                    {
                        throw new RespProtocolException($"bulk string length {length} is out of range (limit {_maxBulkLength})");
                    }

                    var bytes = await ReadBulkAsync((int)length, cancellationToken);
                    return RespReply.FromBulk(type == (byte)'=' && bytes.Length >= 4 ? bytes[4..] : bytes); // verbatim: drop "txt:"
                }

            case (byte)'*':
            case (byte)'~':
            case (byte)'%':
                {
                    var count = ParseInteger(line);
                    if (count == -1 && type == (byte)'*')
                    {
                        return RespReply.Null;
                    }

                    var elements = type == (byte)'%' ? count * 2 : count;
                    if (count < 0 || elements > _maxArrayLength)
                    {
                        throw new RespProtocolException($"array length {count} is out of range (limit {_maxArrayLength})");
                    }

                    if (depth >= MaxDepth)
                    {
                        throw new RespProtocolException($"replies nested deeper than {MaxDepth}");
                    }

                    var items = new RespReply[elements];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = await ReadValueAsync(depth + 1, cancellationToken);
                    }

                    return RespReply.FromArray(items);
                }

            default:
                throw new RespProtocolException($"unexpected reply type byte 0x{type:x2}");
        }
    }

    /// <summary>Reads up to CRLF; returns the type byte and a copy of the rest of the line.</summary>
    private async ValueTask<(byte Type, byte[] Line)> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var available = _buffer.AsSpan(_start + scanned, _end - _start - scanned);
            var at = available.IndexOf((byte)'\n');
            if (at >= 0)
            {
                var lineEnd = _start + scanned + at; // index of '\n'
                if (lineEnd - _start < 2 || _buffer[lineEnd - 1] != (byte)'\r')
                {
                    throw new RespProtocolException("a reply line does not end with CRLF");
                }

                var type = _buffer[_start];
                var line = _buffer.AsSpan(_start + 1, lineEnd - 1 - (_start + 1)).ToArray();
                _start = lineEnd + 1;
                return (type, line);
            }

            scanned = _end - _start;
            if (scanned >= MaxLineLength)
            {
                throw new RespProtocolException($"a reply line is longer than {MaxLineLength} bytes");
            }

            await FillAsync(cancellationToken);
        }
    }

    private async ValueTask<byte[]> ReadBulkAsync(int length, CancellationToken cancellationToken)
    {
        var result = new byte[length];
        var copied = Math.Min(length, _end - _start);
        _buffer.AsMemory(_start, copied).CopyTo(result);
        _start += copied;
        while (copied < length)
        {
            // The rest of a large value goes straight into its array.
            _beforeRead?.Invoke();
            var read = await _stream.ReadAsync(result.AsMemory(copied), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the server closed the connection in the middle of a reply");
            }

            copied += read;
        }

        while (_end - _start < 2)
        {
            await FillAsync(cancellationToken);
        }

        if (_buffer[_start] != (byte)'\r' || _buffer[_start + 1] != (byte)'\n')
        {
            throw new RespProtocolException("a bulk string is not followed by CRLF");
        }

        _start += 2;
        return result;
    }

    /// <summary>Reads more bytes into the buffer, moving what is unread to its start first.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        _beforeRead?.Invoke();
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new EndOfStreamException("the server closed the connection in the middle of a reply");
        }

        _end += read;
    }

    private static long ParseInteger(ReadOnlySpan<byte> text) =>
        Utf8Parser.TryParse(text, out long value, out var used) && used == text.Length && text.Length > 0
            ? value
            : throw new RespProtocolException($"malformed integer in a reply: \"{Encoding.ASCII.GetString(text)}\"");
}
