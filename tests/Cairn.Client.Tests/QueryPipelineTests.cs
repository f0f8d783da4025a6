using System.Runtime.CompilerServices;
using Cairn.Client.Datastore;

namespace Cairn.Client.Tests;

/// <summary>go-datastore's query tests (<c>query/query_test.go</c>, <c>filter_test.go</c>, <c>order_test.go</c>) and the pipeline's streaming.</summary>
public sealed class QueryPipelineTests
{
    private static readonly string[] s_sampleKeys = ["/ab/c", "/ab/cd", "/ab/ef", "/ab/fg", "/a", "/abce", "/abcf", "/ab"];

    private static List<QueryEntry> Sample() => [.. s_sampleKeys.Select(k => new QueryEntry(k, System.Text.Encoding.UTF8.GetBytes(k)))];

    private static string[] Keys(Query query, IEnumerable<QueryEntry>? source = null) =>
        [.. QueryPipeline.Apply(query, source ?? Sample()).Select(e => e.Key)];

    [Fact]
    public void Limit_keeps_the_first_entries_in_source_order()
    {
        Assert.Equal(["/ab/c", "/ab/cd"], Keys(new Query { Limit = 2 }));
        Assert.Equal(s_sampleKeys, Keys(new Query { Limit = 0 }));
        Assert.Equal(s_sampleKeys, Keys(new Query { Limit = 10 }));
    }

    [Fact]
    public void Offset_skips_entries_and_a_large_offset_leaves_none()
    {
        Assert.Equal(s_sampleKeys, Keys(new Query { Offset = 0 }));
        Assert.Equal(s_sampleKeys[2..], Keys(new Query { Offset = 2 }));
        Assert.Empty(Keys(new Query { Offset = 10 }));
    }

    [Fact]
    public void Offset_applies_before_limit()
    {
        Assert.Equal(["/ab/fg", "/a"], Keys(new Query { Offset = 3, Limit = 2 }));
    }

    [Fact]
    public void Prefix_slash_ab_matches_strict_descendants_only()
    {
        Assert.Equal(["/ab/c", "/ab/cd", "/ab/ef", "/ab/fg"], Keys(new Query { Prefix = "/ab" }));
        Assert.Equal(["/ab/c", "/ab/cd", "/ab/ef", "/ab/fg"], Keys(new Query { Prefix = "ab/" }));
        Assert.Empty(Keys(new Query { Prefix = "/a/" }));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("/", null)]
    [InlineData("/./", null)]
    [InlineData("/.././/", null)]
    [InlineData("/prefix/../", null)]
    [InlineData("/prefix", "/prefix/")]
    [InlineData("/prefix/", "/prefix/")]
    [InlineData("prefix", "/prefix/")]
    [InlineData("/prefix/sub/", "/prefix/sub/")]
    [InlineData("/prefix//sub/./x/..", "/prefix/sub/")]
    public void Strict_prefix_cleans_the_prefix_and_adds_a_slash(string prefix, string? expected)
    {
        Assert.Equal(expected, QueryPipeline.StrictPrefix(prefix));
    }

    [Fact]
    public void Prefix_filters_order_offset_and_limit_apply_in_that_sequence()
    {
        var query = new Query { Limit = 2, Offset = 1, Prefix = "/ab", Orders = [OrderByKey.Instance] };
        Assert.Equal(["/ab/cd", "/ab/ef"], Keys(query));
    }

    [Fact]
    public void Key_compare_filter_uses_string_order()
    {
        Assert.Equal(["/ab"], Keys(new Query { Filters = [new KeyCompareFilter(ComparisonOperator.Equal, "/ab")] }));
        Assert.Equal(
            ["/ab/c", "/ab/cd", "/ab/ef", "/ab/fg", "/abce", "/abcf"],
            Keys(new Query { Filters = [new KeyCompareFilter(ComparisonOperator.GreaterThan, "/ab")] }));
        Assert.Equal(["/a", "/ab"], Keys(new Query { Filters = [new KeyCompareFilter(ComparisonOperator.LessThanOrEqual, "/ab")] }));
    }

    [Fact]
    public void Key_prefix_filter_is_a_plain_string_prefix()
    {
        Assert.Equal(s_sampleKeys, Keys(new Query { Filters = [new KeyPrefixFilter("/a")] }));
        Assert.Equal(["/ab/c", "/ab/cd", "/ab/ef", "/ab/fg"], Keys(new Query { Filters = [new KeyPrefixFilter("/ab/")] }));
    }

    [Fact]
    public void Every_filter_must_pass()
    {
        var query = new Query { Filters = [new KeyPrefixFilter("/ab"), new KeyCompareFilter(ComparisonOperator.LessThan, "/abc")] };
        Assert.Equal(["/ab/c", "/ab/cd", "/ab/ef", "/ab/fg", "/ab"], Keys(query));
    }

    [Fact]
    public void Order_by_key_and_by_key_descending()
    {
        Assert.Equal(["/a", "/ab", "/ab/c", "/ab/cd", "/ab/ef", "/ab/fg", "/abce", "/abcf"], Keys(new Query { Orders = [OrderByKey.Instance] }));
        Assert.Equal(["/abcf", "/abce", "/ab/fg", "/ab/ef", "/ab/cd", "/ab/c", "/ab", "/a"], Keys(new Query { Orders = [OrderByKeyDescending.Instance] }));
    }

    [Fact]
    public void Ties_are_broken_by_the_next_order_then_by_key()
    {
        var entries = new[] { E("/b", 1), E("/a", 2), E("/c", 1), E("/d", 2) };
        Assert.Equal(["/b", "/c", "/a", "/d"], Keys(new Query { Orders = [OrderByValue.Instance] }, entries));
        Assert.Equal(["/c", "/b", "/d", "/a"], Keys(new Query { Orders = [OrderByValue.Instance, OrderByKeyDescending.Instance] }, entries));
        Assert.Equal(["/a", "/d", "/b", "/c"], Keys(new Query { Orders = [OrderByValueDescending.Instance] }, entries));
    }

    [Fact]
    public void A_function_order_counts_only_by_its_sign()
    {
        var entries = new[] { E("/b", 3), E("/a", 1), E("/c", 2) };
        var byValueTimesHundred = new OrderByFunction((x, y) => (x.Value![0] - y.Value![0]) * 100);
        Assert.Equal(["/a", "/c", "/b"], Keys(new Query { Orders = [byValueTimesHundred] }, entries));
        var allEqual = new OrderByFunction((_, _) => 0);
        Assert.Equal(["/a", "/b", "/c"], Keys(new Query { Orders = [allEqual] }, entries));
        Assert.Equal(["/b", "/c", "/a"], Keys(new Query { Orders = [allEqual, OrderByValueDescending.Instance] }, entries));
    }

    [Fact]
    public void Value_compare_filter_treats_a_missing_value_as_empty()
    {
        var entries = new[] { new QueryEntry("/none", null, 3), E("/one", 1) };
        var query = new Query { Filters = [new ValueCompareFilter(ComparisonOperator.LessThan, [1])] };
        Assert.Equal(["/none"], Keys(query, entries));
    }

    [Fact]
    public void Keys_only_drops_values_and_keeps_sizes_after_value_filters_and_orders()
    {
        var entries = new[] { E("/a", 3), E("/b", 1), E("/c", 2) };
        var query = new Query
        {
            KeysOnly = true,
            Filters = [new ValueCompareFilter(ComparisonOperator.GreaterThan, [1])],
            Orders = [OrderByValueDescending.Instance],
        };
        var results = QueryPipeline.Apply(query, entries).ToList();
        Assert.Equal(["/a", "/c"], results.Select(e => e.Key));
        Assert.All(results, e => Assert.Null(e.Value));
        Assert.All(results, e => Assert.Equal(1, e.Size));
    }

    [Fact]
    public void Needs_values_only_when_not_keys_only_or_something_reads_values()
    {
        Assert.True(QueryPipeline.NeedsValues(new Query()));
        Assert.False(QueryPipeline.NeedsValues(new Query { KeysOnly = true, Filters = [new KeyPrefixFilter("/a")], Orders = [OrderByKeyDescending.Instance] }));
        Assert.True(QueryPipeline.NeedsValues(new Query { KeysOnly = true, Orders = [OrderByValue.Instance] }));
        Assert.True(QueryPipeline.NeedsValues(new Query { KeysOnly = true, Filters = [new ValueCompareFilter(ComparisonOperator.Equal, [])] }));
        Assert.True(QueryPipeline.NeedsValues(new Query { KeysOnly = true, Orders = [new OrderByFunction((_, _) => 0)] }));
    }

    [Fact]
    public void A_key_sorted_source_ordered_by_key_streams_and_pulls_only_what_the_limit_needs()
    {
        var source = new CountingSource(Enumerable.Range(0, 1000).Select(i => E($"/k/{i:D4}", 0)));
        var query = new Query { Orders = [OrderByKey.Instance, OrderByValue.Instance], Offset = 3, Limit = 2 };
        var keys = QueryPipeline.Apply(query, source, sourceSortedByKey: true).Select(e => e.Key).ToList();
        Assert.Equal(["/k/0003", "/k/0004"], keys);
        Assert.Equal(5, source.Pulled);
    }

    [Fact]
    public void Without_a_sorted_source_ordering_reads_everything()
    {
        var source = new CountingSource(Enumerable.Range(0, 100).Select(i => E($"/k/{99 - i:D2}", 0)));
        var keys = QueryPipeline.Apply(new Query { Orders = [OrderByKey.Instance], Limit = 2 }, source).Select(e => e.Key).ToList();
        Assert.Equal(["/k/00", "/k/01"], keys);
        Assert.Equal(100, source.Pulled);
    }

    [Fact]
    public async Task ApplyAsync_matches_Apply_and_stops_pulling_at_the_limit()
    {
        var entries = Enumerable.Range(0, 50).Select(i => E($"/p/{i:D2}", (byte)(i % 7))).ToList();
        Query[] queries =
        [
            new() { Prefix = "/p", Limit = 5 },
            new() { Orders = [OrderByValue.Instance], Offset = 4, Limit = 9 },
            new() { Filters = [new KeyCompareFilter(ComparisonOperator.GreaterThanOrEqual, "/p/40")], KeysOnly = true },
            new() { Orders = [OrderByKeyDescending.Instance], Offset = 45 },
        ];
        foreach (var query in queries)
        {
            var pulled = 0;
            var asyncKeys = new List<string>();
            await foreach (var entry in QueryPipeline.ApplyAsync(query, Count(entries, () => pulled++)))
            {
                asyncKeys.Add(entry.Key);
            }

            Assert.Equal(QueryPipeline.Apply(query, entries).Select(e => e.Key), asyncKeys);
            if (query.Limit > 0 && query.Orders.Count == 0)
            {
                Assert.Equal(query.Limit, pulled);
            }
        }
    }

    [Fact]
    public async Task ApplyAsync_honours_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var entry in QueryPipeline.ApplyAsync(new Query(), Count(Sample(), () => { }), cancellationToken: cancel.Token))
            {
                seen++;
                await cancel.CancelAsync();
            }
        });
        Assert.Equal(1, seen);
    }

    [Fact]
    public void Negative_offset_or_limit_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Query { Offset = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Query { Limit = -1 });
    }

    [Fact]
    public void Query_prints_in_go_datastore_notation()
    {
        var query = new Query();
        Assert.Equal("SELECT keys,vals", query.ToString());
        query = query with { Offset = 10, Limit = 10 };
        Assert.Equal("SELECT keys,vals OFFSET 10 LIMIT 10", query.ToString());
        query = query with { Orders = [OrderByValue.Instance, OrderByKey.Instance] };
        Assert.Equal("SELECT keys,vals ORDER [VALUE, KEY] OFFSET 10 LIMIT 10", query.ToString());
        query = query with
        {
            Filters = [new KeyCompareFilter(ComparisonOperator.GreaterThan, "/foo/bar"), new KeyCompareFilter(ComparisonOperator.LessThan, "/foo/bar")],
        };
        Assert.Equal("SELECT keys,vals FILTER [KEY > \"/foo/bar\", KEY < \"/foo/bar\"] ORDER [VALUE, KEY] OFFSET 10 LIMIT 10", query.ToString());
        query = query with { Prefix = "/foo", KeysOnly = true };
        Assert.Equal("SELECT keys FROM \"/foo\" FILTER [KEY > \"/foo/bar\", KEY < \"/foo/bar\"] ORDER [VALUE, KEY] OFFSET 10 LIMIT 10", query.ToString());
    }

    [Fact]
    public void An_unknown_comparison_operator_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyCompareFilter((ComparisonOperator)42, "/a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ValueCompareFilter((ComparisonOperator)42, []));
    }

    [Fact]
    public void Value_compare_filters_with_equal_bytes_are_equal()
    {
        Assert.Equal(new ValueCompareFilter(ComparisonOperator.Equal, [1, 2]), new ValueCompareFilter(ComparisonOperator.Equal, [1, 2]));
        Assert.NotEqual(new ValueCompareFilter(ComparisonOperator.Equal, [1, 2]), new ValueCompareFilter(ComparisonOperator.Equal, [1, 3]));
    }

    private static QueryEntry E(string key, byte value) => new(key, [value]);

    private static async IAsyncEnumerable<QueryEntry> Count(IEnumerable<QueryEntry> entries, Action onPull, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var entry in entries)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            onPull();
            yield return entry;
        }
    }

    private sealed class CountingSource(IEnumerable<QueryEntry> entries) : IEnumerable<QueryEntry>
    {
        public int Pulled { get; private set; }

        public IEnumerator<QueryEntry> GetEnumerator()
        {
            foreach (var entry in entries)
            {
                Pulled++;
                yield return entry;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
