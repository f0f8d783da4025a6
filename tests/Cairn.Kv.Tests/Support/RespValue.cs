using System.Globalization;
using System.Text;

namespace Cairn.Kv.Tests.Support;

/// <summary>One reply as it came off the wire: its RESP type byte and its contents.</summary>
internal sealed class RespValue
{
    private RespValue(char type, byte[]? bytes, long integer, IReadOnlyList<RespValue>? items)
    {
        Type = type;
        Bytes = bytes;
        Integer = integer;
        Items = items;
    }

    /// <summary>The type byte: + - : $ * % ~ _ , # = ( or '0' for RESP2 null bulk / null array.</summary>
    public char Type { get; }

    public byte[]? Bytes { get; }

    public long Integer { get; }

    /// <summary>Elements of an array or set; for a map, keys and values alternating.</summary>
    public IReadOnlyList<RespValue>? Items { get; }

    public string? Text => Bytes is null ? null : Encoding.UTF8.GetString(Bytes);

    /// <summary>A RESP2 null ($-1 or *-1) or a RESP3 null (_).</summary>
    public bool IsNull => Type is '_' or '0';

    public bool IsError => Type == '-';

    public static RespValue Line(char type, byte[] text) => new(type, text, 0, null);

    public static RespValue Int(long value) => new(':', null, value, null);

    public static RespValue Aggregate(char type, IReadOnlyList<RespValue> items) => new(type, null, 0, items);

    public static RespValue Null(char type) => new(type, null, 0, null);

    /// <summary>The map's entries (RESP3 map, or a RESP2 flat array of pairs), keyed by their text.</summary>
    public Dictionary<string, RespValue> AsMap()
    {
        Assert.NotNull(Items);
        var map = new Dictionary<string, RespValue>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < Items.Count; i += 2)
        {
            map[Items[i].Text!] = Items[i + 1];
        }

        return map;
    }

    /// <summary>A compact rendering for assertions and failure messages: "+OK", "-ERR x", ":1", "$abc", "(nil)", "[a, b]".</summary>
    public override string ToString() => Type switch
    {
        '+' or '-' or ',' or '#' or '(' => Type + Text,
        ':' => ":" + Integer.ToString(CultureInfo.InvariantCulture),
        '$' or '=' => "$" + Text,
        '_' or '0' => "(nil)",
        '%' => "%{" + string.Join(", ", Pairs()) + "}",
        _ => Type + "[" + string.Join(", ", Items!.Select(i => i.ToString())) + "]",
    };

    private IEnumerable<string> Pairs()
    {
        for (var i = 0; i + 1 < Items!.Count; i += 2)
        {
            yield return $"{Items[i]}: {Items[i + 1]}";
        }
    }
}
