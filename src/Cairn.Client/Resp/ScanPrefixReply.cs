namespace Cairn.Client.Resp;

/// <summary>One key of a <c>CAIRN.SCANPREFIX</c> page.</summary>
/// <param name="Key">The key's bytes.</param>
/// <param name="Size">The size of its value.</param>
/// <param name="Value">The value, when the scan asked for VALUES.</param>
public sealed record ScanPrefixEntry(byte[] Key, int Size, byte[]? Value);

/// <summary>
/// A <c>CAIRN.SCANPREFIX</c> reply: <c>[next-cursor, [key, size, (value), …]]</c>, the next cursor <c>0</c> when
/// the scan is done.
/// </summary>
/// <param name="Cursor">The cursor to pass to the next call; <c>0</c> when the scan is done.</param>
/// <param name="Entries">The keys of this page, in byte order.</param>
public sealed record ScanPrefixReply(string Cursor, IReadOnlyList<ScanPrefixEntry> Entries)
{
    /// <summary>Whether this was the last page.</summary>
    public bool IsLast => Cursor == "0";

    /// <summary>Reads the reply's elements; <paramref name="withValues"/> says whether VALUES was asked for.</summary>
    /// <exception cref="RespProtocolException">The reply does not have that shape.</exception>
    public static ScanPrefixReply Parse(IReadOnlyList<RespReply> reply, bool withValues)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Count != 2)
        {
            throw new RespProtocolException($"CAIRN.SCANPREFIX replied with {reply.Count} elements, not 2");
        }

        var cursor = reply[0].AsString() ?? throw new RespProtocolException("CAIRN.SCANPREFIX replied with a null cursor");
        var items = reply[1].AsArray();
        var stride = withValues ? 3 : 2;
        if (items.Count % stride != 0)
        {
            throw new RespProtocolException($"CAIRN.SCANPREFIX replied with {items.Count} key elements, not a multiple of {stride}");
        }

        var entries = new ScanPrefixEntry[items.Count / stride];
        for (var i = 0; i < entries.Length; i++)
        {
            var key = items[i * stride].AsBytes() ?? throw new RespProtocolException("CAIRN.SCANPREFIX replied with a null key");
            var size = items[(i * stride) + 1].AsInteger();
            if (size is < 0 or > int.MaxValue)
            {
                throw new RespProtocolException($"CAIRN.SCANPREFIX replied with size {size}");
            }

            byte[]? value = null;
            if (withValues)
            {
                value = items[(i * stride) + 2].AsBytes() ?? throw new RespProtocolException("CAIRN.SCANPREFIX replied with a null value");
            }

            entries[i] = new ScanPrefixEntry(key, (int)size, value);
        }

        return new ScanPrefixReply(cursor, entries);
    }
}
