namespace Cairn.Client.Datastore;

/// <summary>
/// Passes entries whose key string starts with <see cref="Prefix"/>, character for character: go-datastore's
/// <c>FilterKeyPrefix</c>. Unlike <see cref="Query.Prefix"/>, the prefix is not cleaned and need not end at a
/// namespace boundary: <c>/a</c> passes <c>/a</c>, <c>/ab</c> and <c>/a/b</c>.
/// </summary>
public sealed record KeyPrefixFilter : IQueryFilter
{
    /// <summary>Creates the filter for <paramref name="prefix"/>.</summary>
    public KeyPrefixFilter(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
    }

    /// <summary>The prefix.</summary>
    public string Prefix { get; }

    /// <inheritdoc/>
    public bool UsesKeysOnly => true;

    /// <inheritdoc/>
    public bool Matches(QueryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Key.StartsWith(Prefix, StringComparison.Ordinal);
    }

    /// <summary>The filter as go-datastore prints it, for example <c>PREFIX("/a")</c>.</summary>
    public override string ToString() => $"PREFIX(\"{Prefix}\")";
}
