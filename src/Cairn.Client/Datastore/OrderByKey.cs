namespace Cairn.Client.Datastore;

/// <summary>
/// Ascending key strings in UTF-8 byte order (<see cref="KeyStringComparer"/>): go-datastore's <c>OrderByKey</c>.
/// This is string order, not <see cref="Key.Less"/>'s namespace order.
/// </summary>
public sealed record OrderByKey : IQueryOrder
{
    /// <summary>The order.</summary>
    public static OrderByKey Instance { get; } = new();

    /// <inheritdoc/>
    public bool UsesKeysOnly => true;

    /// <inheritdoc/>
    public int Compare(QueryEntry a, QueryEntry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return KeyStringComparer.Instance.Compare(a.Key, b.Key);
    }

    /// <summary><c>KEY</c>, as go-datastore prints it.</summary>
    public override string ToString() => "KEY";
}
