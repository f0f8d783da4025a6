using System.Runtime.CompilerServices;

namespace Cairn.Client.Datastore;

/// <summary>
/// Applies a <see cref="Query"/> to a stream of entries exactly as go-datastore's <c>NaiveQueryApply</c> does:
/// prefix, then filters, then orders, then offset, then limit; values are dropped last for keys-only queries.
/// Datastores use it over what they read, and the cluster client over the merge of its shards' streams.
/// </summary>
/// <remarks>
/// Everything streams except ordering, which must see every filtered entry first. When the source is already in
/// ascending key order and the first order is <see cref="OrderByKey"/>, the sort is skipped (the remaining orders
/// can only break ties between equal keys, which a datastore never has) and the query streams.
/// </remarks>
public static class QueryPipeline
{
    /// <summary>
    /// The string every key that <paramref name="prefix"/> selects starts with: the prefix cleaned as a key and
    /// followed by <c>/</c> (so <c>/foo</c> selects <c>/foo/bar</c>, not <c>/foo</c> or <c>/foobar</c>), or null when
    /// it cleans to <c>/</c> and selects every key.
    /// </summary>
    public static string? StrictPrefix(string? prefix)
    {
        var clean = Key.Clean(prefix);
        return clean == "/" ? null : clean + "/";
    }

    /// <summary>Whether <paramref name="key"/> lies under the query's <see cref="Query.Prefix"/>.</summary>
    public static bool MatchesPrefix(Query query, string key)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        var prefix = StrictPrefix(query.Prefix);
        return prefix is null || key.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="entry"/> passes every filter of <paramref name="query"/> (not the prefix).</summary>
    public static bool PassesFilters(Query query, QueryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(query);
        foreach (var filter in query.Filters)
        {
            if (!filter.Matches(entry))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Compares two entries by <paramref name="orders"/> in turn (by the sign of each), then by key string, as
    /// go-datastore's <c>query.Compare</c> does.
    /// </summary>
    public static int Compare(IReadOnlyList<IQueryOrder> orders, QueryEntry a, QueryEntry b)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        foreach (var order in orders)
        {
            var result = Math.Sign(order.Compare(a, b));
            if (result != 0)
            {
                return result;
            }
        }

        return KeyStringComparer.Instance.Compare(a.Key, b.Key);
    }

    /// <summary>Sorts <paramref name="entries"/> in place by <paramref name="orders"/> (see <see cref="Compare"/>).</summary>
    public static void Sort(IReadOnlyList<IQueryOrder> orders, List<QueryEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(entries);
        entries.Sort((a, b) => Compare(orders, a, b));
    }

    /// <summary>
    /// Whether the results must be sorted (and so materialised): the query has orders, and they are not satisfied by a
    /// source that is already in ascending key order (<paramref name="sourceSortedByKey"/>).
    /// </summary>
    public static bool NeedsSort(Query query, bool sourceSortedByKey)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.Orders.Count > 0 && !(sourceSortedByKey && query.Orders[0] is OrderByKey);
    }

    /// <summary>
    /// Whether applying <paramref name="query"/> needs values: it is not keys-only, or a filter or order looks at
    /// values (a keys-only query then reads values, applies itself, and drops them).
    /// </summary>
    public static bool NeedsValues(Query query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return !query.KeysOnly || query.Filters.Any(f => !f.UsesKeysOnly) || query.Orders.Any(o => !o.UsesKeysOnly);
    }

    /// <summary>Applies <paramref name="query"/> to <paramref name="source"/>, streaming where it can.</summary>
    /// <param name="query">The query.</param>
    /// <param name="source">The entries, with values unless <see cref="NeedsValues"/> is false.</param>
    /// <param name="prefixApplied">The source holds only keys under the query's prefix; do not check it again.</param>
    /// <param name="sourceSortedByKey">The source is in ascending key order (<see cref="KeyStringComparer"/>).</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public static IAsyncEnumerable<QueryEntry> ApplyAsync(
        Query query,
        IAsyncEnumerable<QueryEntry> source,
        bool prefixApplied = false,
        bool sourceSortedByKey = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(source);
        return ApplyIterator(query, source, prefixApplied, sourceSortedByKey, cancellationToken);
    }

    /// <summary>Applies <paramref name="query"/> to <paramref name="source"/>; the synchronous form of <see cref="ApplyAsync"/>.</summary>
    public static IEnumerable<QueryEntry> Apply(
        Query query,
        IEnumerable<QueryEntry> source,
        bool prefixApplied = false,
        bool sourceSortedByKey = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(source);
        return ApplyIterator(query, source, prefixApplied, sourceSortedByKey);
    }

    private static async IAsyncEnumerable<QueryEntry> ApplyIterator(
        Query query,
        IAsyncEnumerable<QueryEntry> source,
        bool prefixApplied,
        bool sourceSortedByKey,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var selector = new Selector(query, prefixApplied);
        if (NeedsSort(query, sourceSortedByKey))
        {
            var all = new List<QueryEntry>();
            await foreach (var entry in source.WithCancellation(cancellationToken))
            {
                if (selector.Selects(entry))
                {
                    all.Add(entry);
                }
            }

            Sort(query.Orders, all);
            foreach (var entry in selector.Page(all))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return entry;
            }

            yield break;
        }

        var paging = new Paging(query);
        if (paging.Done)
        {
            yield break;
        }

        await foreach (var entry in source.WithCancellation(cancellationToken))
        {
            if (!selector.Selects(entry) || paging.Skip())
            {
                continue;
            }

            yield return selector.Shape(entry);
            if (paging.Done)
            {
                yield break;
            }
        }
    }

    private static IEnumerable<QueryEntry> ApplyIterator(Query query, IEnumerable<QueryEntry> source, bool prefixApplied, bool sourceSortedByKey)
    {
        var selector = new Selector(query, prefixApplied);
        if (NeedsSort(query, sourceSortedByKey))
        {
            var all = source.Where(selector.Selects).ToList();
            Sort(query.Orders, all);
            return selector.Page(all);
        }

        return StreamIterator(selector, new Paging(query), source);
    }

    private static IEnumerable<QueryEntry> StreamIterator(Selector selector, Paging paging, IEnumerable<QueryEntry> source)
    {
        if (paging.Done)
        {
            yield break;
        }

        foreach (var entry in source)
        {
            if (!selector.Selects(entry) || paging.Skip())
            {
                continue;
            }

            yield return selector.Shape(entry);
            if (paging.Done)
            {
                yield break;
            }
        }
    }

    /// <summary>The prefix, filters and keys-only shaping of one query.</summary>
    private sealed class Selector(Query query, bool prefixApplied)
    {
        private readonly string? _prefix = prefixApplied ? null : StrictPrefix(query.Prefix);

        public bool Selects(QueryEntry entry)
        {
            ArgumentNullException.ThrowIfNull(entry);
            return (_prefix is null || entry.Key.StartsWith(_prefix, StringComparison.Ordinal)) && PassesFilters(query, entry);
        }

        public QueryEntry Shape(QueryEntry entry) => query.KeysOnly && entry.Value is not null ? entry with { Value = null } : entry;

        public IEnumerable<QueryEntry> Page(List<QueryEntry> sorted)
        {
            var count = query.Limit == 0 ? int.MaxValue : query.Limit;
            for (var i = query.Offset; i < sorted.Count && count > 0; i++, count--)
            {
                yield return Shape(sorted[i]);
            }
        }
    }

    /// <summary>Offset and limit over a stream.</summary>
    private sealed class Paging(Query query)
    {
        private int _toSkip = query.Offset;
        private int _toReturn = query.Limit == 0 ? int.MaxValue : query.Limit;

        public bool Done => _toReturn == 0;

        /// <summary>Counts one selected entry: true when it falls in the offset and is skipped.</summary>
        public bool Skip()
        {
            if (_toSkip > 0)
            {
                _toSkip--;
                return true;
            }

            _toReturn--;
            return false;
        }
    }
}
