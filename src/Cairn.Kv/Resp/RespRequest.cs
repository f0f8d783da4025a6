namespace Cairn.Kv.Resp;

/// <summary>
/// One parsed request: where each argument lies in the receive buffer (for RESP arrays, nothing is copied), or in
/// the request's own storage (for inline requests, whose quoting rewrites bytes). Reused from request to request.
/// </summary>
internal sealed class RespRequest
{
    private (int Start, int Length)[] _args = new (int, int)[8];
    private byte[] _inline = new byte[256];

    /// <summary>Where the bulk string being waited for ends, when parsing stopped inside one; else 0.</summary>
    public long PendingBulkEnd { get; set; }

    /// <summary>How many arguments, the command name included.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the arguments live in <see cref="InlineStorage"/> rather than the receive buffer.</summary>
    public bool IsInline { get; private set; }

    public ReadOnlySpan<byte> InlineStorage => _inline;

    /// <summary>Argument <paramref name="index"/>, read from <paramref name="buffer"/> (the receive buffer).</summary>
    public ReadOnlySpan<byte> Arg(ReadOnlySpan<byte> buffer, int index)
    {
        var (start, length) = _args[index];
        return (IsInline ? _inline : buffer).Slice(start, length);
    }

    /// <summary>Starts a new request. Slots grow as arguments arrive, not by what the header claims, so a
    /// "*1000000" line alone costs nothing.</summary>
    public void Reset(bool inline, int expected)
    {
        Count = 0;
        IsInline = inline;
        var wanted = Math.Min(expected, 1024);
        if (_args.Length < wanted)
        {
            _args = new (int, int)[wanted];
        }
    }

    public void Add(int start, int length)
    {
        if (Count == _args.Length)
        {
            Array.Resize(ref _args, _args.Length * 2);
        }

        _args[Count++] = (start, length);
    }

    /// <summary>Appends an inline argument's bytes to the request's own storage.</summary>
    public void AddInline(ReadOnlySpan<byte> bytes)
    {
        var start = Count == 0 ? 0 : _args[Count - 1].Start + _args[Count - 1].Length;
        if (start + bytes.Length > _inline.Length)
        {
            Array.Resize(ref _inline, Math.Max(start + bytes.Length, _inline.Length * 2));
        }

        bytes.CopyTo(_inline.AsSpan(start));
        Add(start, bytes.Length);
    }
}
