namespace Cairn.Client.Datastore;

/// <summary>One result of a query: go-datastore's <c>query.Entry</c>.</summary>
/// <param name="Key">The key string, clean (see <see cref="Datastore.Key"/>).</param>
/// <param name="Value">The value, or null when the query was <see cref="Query.KeysOnly"/>.</param>
/// <param name="Size">The size of the value in bytes, always set, also for keys-only queries.</param>
public sealed record QueryEntry(string Key, byte[]? Value, int Size)
{
    /// <summary>An entry with <paramref name="value"/> and its size.</summary>
    public QueryEntry(string key, byte[] value)
        : this(key, value, (value ?? throw new ArgumentNullException(nameof(value))).Length)
    {
    }
}
