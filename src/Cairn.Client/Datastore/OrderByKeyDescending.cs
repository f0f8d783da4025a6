namespace Cairn.Client.Datastore;

/// <summary>Descending key strings in UTF-8 byte order: go-datastore's <c>OrderByKeyDescending</c>.</summary>
public sealed record OrderByKeyDescending : IQueryOrder
{
    /// <summary>The order.</summary>
    public static OrderByKeyDescending Instance { get; } = new();

    /// <inheritdoc/>
    public bool UsesKeysOnly => true;

    /// <inheritdoc/>
    public int Compare(QueryEntry a, QueryEntry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return KeyStringComparer.Instance.Compare(b.Key, a.Key);
    }

    /// <summary><c>desc(KEY)</c>, as go-datastore prints it.</summary>
    public override string ToString() => "desc(KEY)";
}
