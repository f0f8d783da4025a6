namespace Cairn.Client.Datastore;

/// <summary>
/// Passes entries whose key string compares to <see cref="Key"/> as <see cref="Operator"/> says, in UTF-8 byte
/// order (<see cref="KeyStringComparer"/>): go-datastore's <c>FilterKeyCompare</c>. The key is compared as given,
/// not cleaned.
/// </summary>
public sealed record KeyCompareFilter : IQueryFilter
{
    /// <summary>Creates the filter <c>entry.Key <paramref name="op"/> <paramref name="key"/></c>.</summary>
    public KeyCompareFilter(ComparisonOperator op, string key)
    {
        FilterComparison.Validate(op, nameof(op));
        ArgumentNullException.ThrowIfNull(key);
        Operator = op;
        Key = key;
    }

    /// <summary>The comparison.</summary>
    public ComparisonOperator Operator { get; }

    /// <summary>The key string entries are compared with.</summary>
    public string Key { get; }

    /// <inheritdoc/>
    public bool UsesKeysOnly => true;

    /// <inheritdoc/>
    public bool Matches(QueryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return FilterComparison.Holds(Operator, KeyStringComparer.Instance.Compare(entry.Key, Key));
    }

    /// <summary>The filter as go-datastore prints it, for example <c>KEY &lt; "/2"</c>.</summary>
    public override string ToString() => $"KEY {FilterComparison.Symbol(Operator)} \"{Key}\"";
}
