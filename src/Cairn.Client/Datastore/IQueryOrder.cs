namespace Cairn.Client.Datastore;

/// <summary>
/// An order of query results: go-datastore's <c>query.Order</c>. A query sorts by its orders in turn, each breaking
/// the ties of the one before, and finally by key string.
/// </summary>
public interface IQueryOrder
{
    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, with or after <paramref name="b"/>.</summary>
    int Compare(QueryEntry a, QueryEntry b);

    /// <summary>Whether the order looks only at keys (see <see cref="IQueryFilter.UsesKeysOnly"/>).</summary>
    bool UsesKeysOnly => false;
}
