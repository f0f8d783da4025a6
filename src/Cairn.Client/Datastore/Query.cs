using System.Text;

namespace Cairn.Client.Datastore;

/// <summary>
/// A datastore query: go-datastore's <c>query.Query</c>. Results are the entries under <see cref="Prefix"/> that pass
/// every filter, sorted by the orders, then <see cref="Offset"/> skipped and at most <see cref="Limit"/> returned,
/// in that sequence (see <see cref="QueryPipeline"/>).
/// </summary>
public sealed record Query
{
    private readonly int _offset;
    private readonly int _limit;

    /// <summary>
    /// Only keys strictly below this key are returned. It is cleaned as a key, so <c>/foo</c>, <c>foo</c> and
    /// <c>/foo/</c> all match <c>/foo/bar</c> but neither <c>/foo</c> nor <c>/foobar</c>; empty or <c>/</c> (or a
    /// path that cleans to it, such as <c>/prefix/../</c>) matches every key.
    /// </summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>The filters every returned entry passes, applied in order.</summary>
    public IReadOnlyList<IQueryFilter> Filters { get; init; } = [];

    /// <summary>
    /// The orders of the results, each breaking the ties of the one before and finally the key string. With none,
    /// the order is whatever the datastore finds cheapest and callers may not rely on it.
    /// </summary>
    public IReadOnlyList<IQueryOrder> Orders { get; init; } = [];

    /// <summary>How many of the filtered, ordered results to skip; 0 or more.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int Offset
    {
        get => _offset;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _offset = value;
        }
    }

    /// <summary>The most results to return after the offset; 0 means no limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int Limit
    {
        get => _limit;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _limit = value;
        }
    }

    /// <summary>Return keys and sizes but no values (<see cref="QueryEntry.Value"/> is null).</summary>
    public bool KeysOnly { get; init; }

    /// <summary>The query in go-datastore's notation, for example <c>SELECT keys FROM "/foo" ORDER [KEY] LIMIT 10</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(KeysOnly ? "SELECT keys" : "SELECT keys,vals");
        if (Prefix.Length > 0)
        {
            text.Append(" FROM \"").Append(Prefix).Append('"');
        }

        if (Filters.Count > 0)
        {
            text.Append(" FILTER [").AppendJoin(", ", Filters).Append(']');
        }

        if (Orders.Count > 0)
        {
            text.Append(" ORDER [").AppendJoin(", ", Orders).Append(']');
        }

        if (Offset > 0)
        {
            text.Append(" OFFSET ").Append(Offset);
        }

        if (Limit > 0)
        {
            text.Append(" LIMIT ").Append(Limit);
        }

        return text.ToString();
    }
}
