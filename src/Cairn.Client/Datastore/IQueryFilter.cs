namespace Cairn.Client.Datastore;

/// <summary>Decides which entries a query returns: go-datastore's <c>query.Filter</c>.</summary>
public interface IQueryFilter
{
    /// <summary>Whether <paramref name="entry"/> passes the filter.</summary>
    bool Matches(QueryEntry entry);

    /// <summary>
    /// Whether the filter looks only at keys. A datastore reads no values for a keys-only query when every filter and
    /// order looks only at keys; otherwise it reads them, applies the query, and drops them.
    /// </summary>
    bool UsesKeysOnly => false;
}
