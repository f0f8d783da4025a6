using System.Globalization;
using System.Text;

namespace Cairn.Kv.Tests.Support;

/// <summary>Reads RESP2 and RESP3 replies from a stream, one at a time.</summary>
internal sealed class RespReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Reads one whole reply; throws <see cref="EndOfStreamException"/> when the server closed the connection.</summary>
    public RespValue Read()
    {
        var type = (char)ReadByte();
        var line = ReadLine();
        switch (type)
        {
            case '+' or '-' or ',' or '#' or '(':
                return RespValue.Line(type, line);
            case ':':
                return RespValue.Int(ParseLong(line));
            case '_':
                return RespValue.Null('_');
            case '$' or '=':
                var length = ParseLong(line);
                if (length < 0)
                {
                    return RespValue.Null('0');
                }

                var bytes = ReadExactly((int)length);
                Expect((byte)'\r');
                Expect((byte)'\n');
                return RespValue.Line(type, bytes);
            case '*' or '~' or '%' or '>':
                var count = ParseLong(line);
                if (count < 0)
                {
                    return RespValue.Null('0');
                }

                var items = new List<RespValue>();
                for (var i = 0; i < count * (type == '%' ? 2 : 1); i++)
                {
                    items.Add(Read());
                }

                return RespValue.Aggregate(type, items);
            default:
                throw new InvalidDataException($"unexpected reply type byte 0x{(byte)type:x2}");
        }
    }

    private static long ParseLong(byte[] line) => long.Parse(Encoding.ASCII.GetString(line), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private void Expect(byte expected)
    {
        var b = ReadByte();
        if (b != expected)
        {
            throw new InvalidDataException($"expected 0x{expected:x2}, got 0x{b:x2}");
        }
    }

    private byte ReadByte()
    {
        if (_start == _end)
        {
            Fill();
        }

        return _buffer[_start++];
    }

    private byte[] ReadLine()
    {
        var line = new List<byte>();
        while (true)
        {
            var b = ReadByte();
            if (b == '\r')
            {
                Expect((byte)'\n');
                return [.. line];
            }

            line.Add(b);
        }
    }

    private byte[] ReadExactly(int length)
    {
        var result = new byte[length];
        var at = 0;
        while (at < length)
        {
            if (_start == _end)
            {
                Fill();
            }

            var n = Math.Min(length - at, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(at));
            _start += n;
            at += n;
        }

        return result;
    }

    private void Fill()
    {
        _start = 0;
        _end = stream.Read(_buffer, 0, _buffer.Length);
        if (_end == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }
    }
}
