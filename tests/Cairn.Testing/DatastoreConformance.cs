using System.Text;
using Cairn.Client.Datastore;
using Xunit;

namespace Cairn.Testing;

/// <summary>
/// The behaviour every <see cref="IDatastore"/> shares: go-datastore's test suite (its <c>test/basic_tests.go</c> and
/// <c>test/test_util.go</c>) in our words. An implementation's test class inherits this and says how to open an
/// empty datastore; every test here then runs against it. Query results are checked against a naive model written
/// here from go-datastore's rules, independent of <see cref="QueryPipeline"/>.
/// </summary>
public abstract class DatastoreConformance : IAsyncLifetime
{
    /// <summary>How many keys of each group the query tests put (go-datastore's <c>ElemCount</c>).</summary>
    protected const int ElemCount = 100;

    private readonly List<IDatastore> _opened = [];

    /// <summary>Opens an empty datastore of the kind under test.</summary>
    protected abstract Task<IDatastore> OpenAsync();

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        foreach (var datastore in _opened)
        {
            await datastore.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>UTF-8 bytes of <paramref name="text"/>.</summary>
    protected static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    // ---- put, get, has, size, delete ----

    [Fact]
    public async Task Put_then_has_size_and_get_see_the_value_and_delete_removes_it()
    {
        var ds = await OpenTrackedAsync();
        var key = new Key("foo");
        var value = B("Hello Datastore!");
        await ds.PutAsync(key, value);
        Assert.True(await ds.HasAsync(key));
        Assert.Equal(value.Length, await ds.GetSizeAsync(key));
        Assert.Equal(value, await ds.GetAsync(key));
        Assert.True(await ds.HasAsync(key));
        Assert.Equal(value.Length, await ds.GetSizeAsync(key));

        await ds.DeleteAsync(key);
        Assert.False(await ds.HasAsync(key));
        await Assert.ThrowsAsync<DatastoreNotFoundException>(() => ds.GetSizeAsync(key));
        await Assert.ThrowsAsync<DatastoreNotFoundException>(() => ds.GetAsync(key));
    }

    [Fact]
    public async Task A_missing_key_is_not_found_by_get_and_size_is_absent_for_has_and_deletes_fine()
    {
        var ds = await OpenTrackedAsync();
        var missing = new Key("notreal");
        var error = await Assert.ThrowsAsync<DatastoreNotFoundException>(() => ds.GetAsync(missing));
        Assert.Equal(missing, error.Key);
        error = await Assert.ThrowsAsync<DatastoreNotFoundException>(() => ds.GetSizeAsync(missing));
        Assert.Equal(missing, error.Key);
        Assert.False(await ds.HasAsync(missing));
        await ds.DeleteAsync(missing);
        Assert.False(await ds.HasAsync(missing));
    }

    [Fact]
    public async Task Put_overwrites_the_value_and_its_size()
    {
        var ds = await OpenTrackedAsync();
        var key = new Key("/a/b");
        await ds.PutAsync(key, B("first value"));
        await ds.PutAsync(key, B("2nd"));
        Assert.Equal(B("2nd"), await ds.GetAsync(key));
        Assert.Equal(3, await ds.GetSizeAsync(key));
        var entry = Assert.Single(await QueryAllAsync(ds, new Query()));
        Assert.Equal("/a/b", entry.Key);
        Assert.Equal(B("2nd"), entry.Value);
    }

    [Fact]
    public async Task An_empty_value_is_present_with_size_zero()
    {
        var ds = await OpenTrackedAsync();
        var key = new Key("/empty");
        await ds.PutAsync(key, ReadOnlyMemory<byte>.Empty);
        Assert.True(await ds.HasAsync(key));
        Assert.Equal(0, await ds.GetSizeAsync(key));
        Assert.Empty(await ds.GetAsync(key));
        var entry = Assert.Single(await QueryAllAsync(ds, new Query()));
        Assert.Equal(0, entry.Size);
        Assert.Equal(Array.Empty<byte>(), entry.Value);
    }

    [Fact]
    public async Task Equivalent_paths_clean_to_the_same_key()
    {
        var ds = await OpenTrackedAsync();
        await ds.PutAsync(new Key("a//b/./c/../"), B("v"));
        Assert.Equal(B("v"), await ds.GetAsync(new Key("/a/b")));
        Assert.Equal("/a/b", Assert.Single(await QueryAllAsync(ds, new Query())).Key);
    }

    [Fact]
    public async Task Values_are_copied_in_and_out()
    {
        var ds = await OpenTrackedAsync();
        var key = new Key("/copy");
        var value = B("abc");
        await ds.PutAsync(key, value);
        value[0] = (byte)'X';
        var read = await ds.GetAsync(key);
        Assert.Equal(B("abc"), read);
        read[1] = (byte)'Y';
        Assert.Equal(B("abc"), await ds.GetAsync(key));
    }

    // ---- batches ----

    [Fact]
    public async Task Batch_puts_are_invisible_until_commit_then_all_readable()
    {
        var ds = await OpenTrackedAsync();
        var random = new Random(1);
        var batch = await ds.BatchAsync();
        var blocks = new Dictionary<Key, byte[]>();
        for (var i = 0; i < 20; i++)
        {
            var block = new byte[256 * 1024];
            random.NextBytes(block);
            var key = new Key(Convert.ToBase64String(block, 0, 8).Replace('/', '_'));
            blocks[key] = block;
            await batch.PutAsync(key, block);
        }

        foreach (var key in blocks.Keys)
        {
            Assert.False(await ds.HasAsync(key));
            await Assert.ThrowsAsync<DatastoreNotFoundException>(() => ds.GetAsync(key));
        }

        await batch.CommitAsync();
        foreach (var (key, block) in blocks)
        {
            Assert.Equal(block, await ds.GetAsync(key));
        }
    }

    [Fact]
    public async Task Batch_deletes_remove_every_key_at_commit()
    {
        var ds = await OpenTrackedAsync();
        var keys = Enumerable.Range(0, 20).Select(i => new Key($"/del/{i}")).ToList();
        foreach (var key in keys)
        {
            await ds.PutAsync(key, B(key.ToString()));
        }

        var batch = await ds.BatchAsync();
        foreach (var key in keys)
        {
            await batch.DeleteAsync(key);
        }

        Assert.True(await ds.HasAsync(keys[0]));
        await batch.CommitAsync();
        foreach (var key in keys)
        {
            Assert.False(await ds.HasAsync(key));
        }
    }

    [Fact]
    public async Task Batch_operations_apply_in_order_and_the_last_on_a_key_wins()
    {
        var ds = await OpenTrackedAsync();
        var a = new Key("/a");
        var b = new Key("/b");
        var batch = await ds.BatchAsync();
        await batch.PutAsync(a, new byte[] { 1 });
        await batch.PutAsync(b, new byte[] { 2 });
        await batch.DeleteAsync(a);
        await batch.DeleteAsync(b);
        await batch.PutAsync(b, new byte[] { 3 });
        await batch.CommitAsync();
        await Assert.ThrowsAsync<DatastoreNotFoundException>(() => ds.GetAsync(a));
        Assert.Equal(new byte[] { 3 }, await ds.GetAsync(b));
    }

    [Fact]
    public async Task A_committed_batch_refuses_further_use()
    {
        var ds = await OpenTrackedAsync();
        var batch = await ds.BatchAsync();
        await batch.PutAsync(new Key("/x"), B("1"));
        await batch.CommitAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => batch.PutAsync(new Key("/y"), B("2")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => batch.DeleteAsync(new Key("/x")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => batch.CommitAsync());
        Assert.True(await ds.HasAsync(new Key("/x")));
        Assert.False(await ds.HasAsync(new Key("/y")));
    }

    [Fact]
    public async Task An_empty_batch_commits_and_batches_are_independent()
    {
        var ds = await OpenTrackedAsync();
        await (await ds.BatchAsync()).CommitAsync();
        var first = await ds.BatchAsync();
        var second = await ds.BatchAsync();
        await first.PutAsync(new Key("/first"), B("1"));
        await second.PutAsync(new Key("/second"), B("2"));
        await second.CommitAsync();
        Assert.False(await ds.HasAsync(new Key("/first")));
        Assert.True(await ds.HasAsync(new Key("/second")));
        await first.CommitAsync();
        Assert.True(await ds.HasAsync(new Key("/first")));
    }

    // ---- sync ----

    [Fact]
    public async Task Sync_succeeds_for_any_prefix_before_and_after_writes()
    {
        var ds = await OpenTrackedAsync();
        await ds.SyncAsync(new Key("prefix"));
        await ds.PutAsync(new Key("/prefix"), B("foo"));
        await ds.SyncAsync(new Key("/prefix"));
        await ds.PutAsync(new Key("/prefix/sub"), B("bar"));
        await ds.SyncAsync(new Key("/prefix"));
        await ds.SyncAsync(new Key("/prefix/sub"));
        await ds.SyncAsync(new Key(string.Empty));
        Assert.Equal(B("foo"), await ds.GetAsync(new Key("/prefix")));
        Assert.Equal(B("bar"), await ds.GetAsync(new Key("/prefix/sub")));
    }

    // ---- queries over go-datastore's key set ----

    [Theory]
    [InlineData("", 4 * ElemCount)]
    [InlineData("/", 4 * ElemCount)]
    [InlineData("/./", 4 * ElemCount)]
    [InlineData("/.././/", 4 * ElemCount)]
    [InlineData("/prefix/../", 4 * ElemCount)]
    [InlineData("/prefix", 2 * ElemCount)]
    [InlineData("/prefix/", 2 * ElemCount)]
    [InlineData("prefix", 2 * ElemCount)]
    [InlineData("/prefix/sub/", ElemCount)]
    [InlineData("/0/", 0)]
    [InlineData("/bad/", 0)]
    public async Task Prefix_query_returns_the_strict_descendants_of_the_cleaned_prefix(string prefix, int expected)
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount);
        var actual = await CheckQueryAsync(ds, new Query { Prefix = prefix }, input);
        Assert.Equal(expected, actual.Count);
    }

    [Fact]
    public async Task Prefix_slash_foo_matches_strict_descendants_only()
    {
        var ds = await OpenTrackedAsync();
        foreach (var key in new[] { "/foo", "/foo/bar", "/foo/baz/qux", "/foobar", "/fo", "/foo-bar", "/g" })
        {
            await ds.PutAsync(new Key(key), B(key));
        }

        foreach (var prefix in new[] { "/foo", "foo", "/foo/", "/foo/bar/..", "//foo" })
        {
            var found = await QueryAllAsync(ds, new Query { Prefix = prefix, Orders = [OrderByKey.Instance] });
            Assert.Equal(["/foo/bar", "/foo/baz/qux"], found.Select(e => e.Key));
        }
    }

    [Theory]
    [InlineData("key")]
    [InlineData("key-descending")]
    [InlineData("value")]
    [InlineData("value-descending")]
    [InlineData("value,key")]
    [InlineData("key,value")]
    [InlineData("function")]
    public async Task Ordered_query_returns_every_entry_in_the_requested_order(string orders)
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount);
        var actual = await CheckQueryAsync(ds, new Query { Orders = ParseOrders(orders) }, input);
        Assert.Equal(4 * ElemCount, actual.Count);
    }

    [Fact]
    public async Task Order_by_key_is_utf8_byte_order_of_the_key_strings_not_namespace_order()
    {
        var ds = await OpenTrackedAsync();
        string[] keys = ["/a/b", "/a-b", "/a.b", "/a", "/a0", "/\uFFFD", "/\U0001F600", "/\u00E9", "/Z", "/a/b/c"];
        foreach (var key in keys)
        {
            await ds.PutAsync(new Key(key), B(key));
        }

        string[] expected = ["/Z", "/a", "/a-b", "/a.b", "/a/b", "/a/b/c", "/a0", "/\u00E9", "/\uFFFD", "/\U0001F600"];
        var ascending = await QueryAllAsync(ds, new Query { Orders = [OrderByKey.Instance] });
        Assert.Equal(expected, ascending.Select(e => e.Key));
        var descending = await QueryAllAsync(ds, new Query { Orders = [OrderByKeyDescending.Instance] });
        Assert.Equal(expected.Reverse(), descending.Select(e => e.Key));
        var unordered = await QueryAllAsync(ds, new Query());
        Assert.Equal(expected.Order(StringComparer.Ordinal), unordered.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Multiple_orders_break_ties_in_turn_and_then_by_key()
    {
        var ds = await OpenTrackedAsync();
        (string Key, string Value)[] data = [("/e", "2"), ("/a", "1"), ("/d", "2"), ("/b", "1"), ("/c", "0")];
        foreach (var (key, value) in data)
        {
            await ds.PutAsync(new Key(key), B(value));
        }

        var byValueThenKeyDescending = await QueryAllAsync(ds, new Query { Orders = [OrderByValue.Instance, OrderByKeyDescending.Instance] });
        Assert.Equal(["/c", "/b", "/a", "/e", "/d"], byValueThenKeyDescending.Select(e => e.Key));
        var byValueDescendingThenKey = await QueryAllAsync(ds, new Query { Orders = [OrderByValueDescending.Instance] });
        Assert.Equal(["/d", "/e", "/a", "/b", "/c"], byValueDescendingThenKey.Select(e => e.Key));
    }

    [Theory]
    [InlineData(0, ElemCount / 10)]
    [InlineData(0, 0)]
    [InlineData(ElemCount / 10, 0)]
    [InlineData(ElemCount / 10, ElemCount / 10)]
    [InlineData(ElemCount / 10, ElemCount / 5)]
    [InlineData(ElemCount / 2, ElemCount / 5)]
    [InlineData(ElemCount - 1, ElemCount / 5)]
    [InlineData(ElemCount * 2, ElemCount / 5)]
    [InlineData(ElemCount * 2, 0)]
    [InlineData(ElemCount - 1, 0)]
    [InlineData(ElemCount - 5, 0)]
    [InlineData(4 * ElemCount - 1, 5)]
    [InlineData(4 * ElemCount, 1)]
    public async Task Offset_and_limit_slice_the_key_ordered_results(int offset, int limit)
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount);
        var query = new Query { Orders = [OrderByKey.Instance], Offset = offset, Limit = limit, KeysOnly = true };
        var actual = await CheckQueryAsync(ds, query, input);
        var remaining = Math.Max(0, input.Count - offset);
        Assert.Equal(limit == 0 ? remaining : Math.Min(limit, remaining), actual.Count);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(2, 0)]
    [InlineData(1, 2)]
    public async Task Offset_and_limit_without_orders_return_that_many_distinct_entries(int offset, int limit)
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount / 10);
        var actual = await QueryAllAsync(ds, new Query { Offset = offset, Limit = limit });
        var remaining = input.Count - offset;
        Assert.Equal(limit == 0 ? remaining : limit, actual.Count);
        Assert.Equal(actual.Count, actual.Select(e => e.Key).Distinct().Count());
        var byKey = input.ToDictionary(e => e.Key);
        Assert.All(actual, e => Assert.Equal(byKey[e.Key].Value, e.Value));
    }

    [Theory]
    [InlineData("key == /0key0", 1)]
    [InlineData("key != /0key0", 4 * ElemCount - 1)]
    [InlineData("key < /2", -1)]
    [InlineData("key <= /1key1", -1)]
    [InlineData("key > /5", -1)]
    [InlineData("key >= /5key5", -1)]
    [InlineData("prefix /0key0", 1)]
    [InlineData("prefix /prefix/1", -1)]
    [InlineData("value < random", -1)]
    [InlineData("value >= random", -1)]
    [InlineData("value == first", 1)]
    [InlineData("value != first", 4 * ElemCount - 1)]
    [InlineData("even key length", -1)]
    [InlineData("key > /1, key < /2", -1)]
    public async Task Filtered_query_returns_the_entries_that_pass(string filters, int expected)
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount);
        var query = new Query { Filters = ParseFilters(filters, input) };
        var actual = await CheckQueryAsync(ds, query, input);
        if (expected >= 0)
        {
            Assert.Equal(expected, actual.Count);
        }
    }

    [Fact]
    public async Task Key_compare_filter_applies_each_operator_to_the_key_string()
    {
        var ds = await OpenTrackedAsync();
        foreach (var key in new[] { "/a", "/b", "/b/c", "/c" })
        {
            await ds.PutAsync(new Key(key), B(key));
        }

        async Task<string[]> Keys(ComparisonOperator op) =>
            (await QueryAllAsync(ds, new Query { Filters = [new KeyCompareFilter(op, "/b")], Orders = [OrderByKey.Instance] }))
            .Select(e => e.Key).ToArray();

        Assert.Equal(["/b"], await Keys(ComparisonOperator.Equal));
        Assert.Equal(["/a", "/b/c", "/c"], await Keys(ComparisonOperator.NotEqual));
        Assert.Equal(["/b/c", "/c"], await Keys(ComparisonOperator.GreaterThan));
        Assert.Equal(["/b", "/b/c", "/c"], await Keys(ComparisonOperator.GreaterThanOrEqual));
        Assert.Equal(["/a"], await Keys(ComparisonOperator.LessThan));
        Assert.Equal(["/a", "/b"], await Keys(ComparisonOperator.LessThanOrEqual));
    }

    [Fact]
    public async Task Value_compare_filter_applies_each_operator_to_the_value_bytes()
    {
        var ds = await OpenTrackedAsync();
        await ds.PutAsync(new Key("/empty"), ReadOnlyMemory<byte>.Empty);
        await ds.PutAsync(new Key("/low"), new byte[] { 0x01 });
        await ds.PutAsync(new Key("/mid"), new byte[] { 0x7F, 0x00 });
        await ds.PutAsync(new Key("/high"), new byte[] { 0x80 });

        async Task<string[]> Keys(ComparisonOperator op, bool keysOnly = false) =>
            (await QueryAllAsync(ds, new Query { Filters = [new ValueCompareFilter(op, [0x7F, 0x00])], Orders = [OrderByKey.Instance], KeysOnly = keysOnly }))
            .Select(e => e.Key).ToArray();

        Assert.Equal(["/mid"], await Keys(ComparisonOperator.Equal));
        Assert.Equal(["/empty", "/high", "/low"], await Keys(ComparisonOperator.NotEqual));
        Assert.Equal(["/high"], await Keys(ComparisonOperator.GreaterThan));
        Assert.Equal(["/high", "/mid"], await Keys(ComparisonOperator.GreaterThanOrEqual));
        Assert.Equal(["/empty", "/low"], await Keys(ComparisonOperator.LessThan));
        Assert.Equal(["/empty", "/low", "/mid"], await Keys(ComparisonOperator.LessThanOrEqual));

        // A keys-only query still filters on the values; it only leaves them out of the results.
        Assert.Equal(["/high"], await Keys(ComparisonOperator.GreaterThan, keysOnly: true));
    }

    [Fact]
    public async Task Keys_only_query_returns_keys_and_sizes_without_values()
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount / 10);
        var actual = await CheckQueryAsync(ds, new Query { KeysOnly = true }, input);
        Assert.Equal(input.Count, actual.Count);
        Assert.All(actual, e => Assert.Null(e.Value));
        Assert.All(actual, e => Assert.Equal(64, e.Size));
    }

    [Fact]
    public async Task Keys_only_query_ordered_by_value_orders_by_the_values_it_does_not_return()
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount / 10);
        var actual = await CheckQueryAsync(ds, new Query { KeysOnly = true, Orders = [OrderByValueDescending.Instance] }, input);
        Assert.All(actual, e => Assert.Null(e.Value));
    }

    [Fact]
    public async Task Sizes_are_always_set()
    {
        var ds = await OpenTrackedAsync();
        for (var i = 0; i < 30; i++)
        {
            await ds.PutAsync(new Key($"/size/{i}"), new byte[i]);
        }

        foreach (var keysOnly in new[] { false, true })
        {
            var entries = await QueryAllAsync(ds, new Query { KeysOnly = keysOnly });
            Assert.Equal(30, entries.Count);
            Assert.All(entries, e => Assert.Equal(int.Parse(e.Key["/size/".Length..], System.Globalization.CultureInfo.InvariantCulture), e.Size));
        }
    }

    [Fact]
    public async Task Query_combinations_of_prefix_filter_order_offset_and_limit_match_the_model()
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount);
        int[] offsets = [0, ElemCount / 10, ElemCount - 5, ElemCount];
        int[] limits = [0, 1, ElemCount / 10, ElemCount];
        IQueryFilter[][] filters = [[new KeyCompareFilter(ComparisonOperator.Equal, "/0key0")], [new KeyCompareFilter(ComparisonOperator.LessThan, "/2")]];
        string[] prefixes = ["", "/prefix", "/0"];
        string[] orders = ["key", "key-descending", "value,key", "function"];
        foreach (var offset in offsets)
        {
            foreach (var limit in limits)
            {
                foreach (var filter in filters)
                {
                    foreach (var order in orders)
                    {
                        foreach (var prefix in prefixes)
                        {
                            var query = new Query { Offset = offset, Limit = limit, Filters = filter, Orders = ParseOrders(order), Prefix = prefix };
                            await CheckQueryAsync(ds, query, input);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Many_random_keys_and_random_queries_match_the_model()
    {
        var ds = await OpenTrackedAsync();
        var random = new Random(42);
        string[] alphabet = ["a", "b", "c", "A", "0", "1", "-", ".", "_", ":", " ", "\u00E9", "\u65E5", "\uFFFD", "\U0001F600"];
        string Namespace() => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => alphabet[random.Next(alphabet.Length)]));
        var model = new Dictionary<string, byte[]>();
        while (model.Count < 300)
        {
            var key = new Key(string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Namespace())));
            var value = new byte[random.Next(0, 24)];
            random.NextBytes(value);
            model[key.ToString()] = value;
            await ds.PutAsync(key, value);
        }

        // Overwrite and delete some, so the model and the datastore both see churn.
        foreach (var key in model.Keys.Where((_, i) => i % 7 == 0).ToList())
        {
            await ds.DeleteAsync(Key.Raw(key));
            model.Remove(key);
        }

        foreach (var key in model.Keys.Where((_, i) => i % 5 == 0).ToList())
        {
            model[key] = B("overwritten " + key);
            await ds.PutAsync(Key.Raw(key), model[key]);
        }

        var input = model.Select(p => new QueryEntry(p.Key, p.Value)).ToList();
        var all = await CheckQueryAsync(ds, new Query { KeysOnly = true }, input);
        Assert.Equal(model.Count, all.Count);

        var keys = model.Keys.ToList();
        string[] orderChoices = ["", "key", "key-descending", "value", "value-descending", "value,key", "key,value", "function"];
        for (var i = 0; i < 150; i++)
        {
            var someKey = keys[random.Next(keys.Count)];
            var prefix = random.Next(4) switch
            {
                0 => string.Empty,
                1 => Key.Raw(someKey).Parent.ToString(),
                2 => someKey[..random.Next(1, someKey.Length + 1)],
                _ => Namespace(),
            };
            IQueryFilter[] filters = random.Next(5) switch
            {
                0 => [new KeyCompareFilter((ComparisonOperator)random.Next(6), someKey)],
                1 => [new KeyPrefixFilter(someKey[..random.Next(1, someKey.Length + 1)])],
                2 => [new ValueCompareFilter((ComparisonOperator)random.Next(6), model[someKey])],
                _ => [],
            };
            var query = new Query
            {
                Prefix = prefix,
                Filters = filters,
                Orders = ParseOrders(orderChoices[random.Next(orderChoices.Length)]),
                Offset = random.Next(3) == 0 ? random.Next(0, 20) : 0,
                Limit = random.Next(2) == 0 ? random.Next(0, 30) : 0,
                KeysOnly = random.Next(2) == 0,
            };
            await CheckQueryAsync(ds, query, input);
        }
    }

    [Fact]
    public async Task A_query_does_not_see_deleted_keys()
    {
        var (ds, input) = await OpenWithGoKeySetAsync(ElemCount / 10);
        foreach (var entry in input.Where(e => e.Key.StartsWith("/prefix/", StringComparison.Ordinal)).ToList())
        {
            await ds.DeleteAsync(Key.Raw(entry.Key));
            input.Remove(entry);
        }

        Assert.Equal(2 * ElemCount / 10, (await CheckQueryAsync(ds, new Query(), input)).Count);
        Assert.Empty(await QueryAllAsync(ds, new Query { Prefix = "/prefix" }));
    }

    [Fact]
    public async Task A_cancelled_query_stops_with_operation_cancelled()
    {
        var (ds, _) = await OpenWithGoKeySetAsync(ElemCount / 10);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var entry in ds.QueryAsync(new Query(), cancel.Token))
            {
                Assert.Fail($"returned {entry.Key} after cancellation");
            }
        });
    }

    // ---- helpers ----

    /// <summary>Opens a datastore that is disposed when the test ends.</summary>
    protected async Task<IDatastore> OpenTrackedAsync()
    {
        var datastore = await OpenAsync();
        _opened.Add(datastore);
        return datastore;
    }

    /// <summary>Every result of <paramref name="query"/>.</summary>
    protected static async Task<List<QueryEntry>> QueryAllAsync(IDatastore datastore, Query query)
    {
        ArgumentNullException.ThrowIfNull(datastore);
        var results = new List<QueryEntry>();
        await foreach (var entry in datastore.QueryAsync(query))
        {
            results.Add(entry);
        }

        return results;
    }

    /// <summary>
    /// A datastore holding go-datastore's query key set: <c>/{i}key{i}</c>, <c>/prefix/{i}key{i}</c>,
    /// <c>/prefix/sub/{i}key{i}</c> and <c>/capital/{i}KEY{i}</c> for i below <paramref name="count"/>, each with a
    /// random 64-byte value.
    /// </summary>
    private async Task<(IDatastore Datastore, List<QueryEntry> Input)> OpenWithGoKeySetAsync(int count)
    {
        var ds = await OpenTrackedAsync();
        var random = new Random(count);
        var input = new List<QueryEntry>();
        foreach (var pattern in new[] { "{0}key{0}", "/prefix/{0}key{0}", "/prefix/sub/{0}key{0}", "/capital/{0}KEY{0}" })
        {
            for (var i = 0; i < count; i++)
            {
                var key = new Key(string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, i)).ToString();
                var value = new byte[64];
                random.NextBytes(value);
                input.Add(new QueryEntry(key, value));
            }
        }

        foreach (var entry in input)
        {
            await ds.PutAsync(Key.Raw(entry.Key), entry.Value);
        }

        foreach (var entry in input)
        {
            Assert.Equal(entry.Value, await ds.GetAsync(Key.Raw(entry.Key)));
        }

        return (ds, input);
    }

    /// <summary>Runs <paramref name="query"/> and checks it against the naive model over <paramref name="input"/>.</summary>
    private static async Task<List<QueryEntry>> CheckQueryAsync(IDatastore ds, Query query, IReadOnlyList<QueryEntry> input)
    {
        var actual = await QueryAllAsync(ds, query);
        var expected = Model(query, input);
        Assert.True(expected.Count == actual.Count, $"{query}: expected {expected.Count} results, got {actual.Count}");
        if (query.Orders.Count == 0)
        {
            // Without orders the order is the datastore's own, so which entries an offset or limit keeps is too: the
            // results must be that many distinct entries of the unpaged results. Compare them as sets.
            var unpaged = Model(query with { Offset = 0, Limit = 0 }, input).ToDictionary(e => e.Key);
            Assert.Equal(actual.Count, actual.Select(e => e.Key).Distinct().Count());
            Assert.All(actual, e => Assert.True(unpaged.ContainsKey(e.Key), $"{query}: unexpected result {e.Key}"));
            actual = [.. actual.OrderBy(e => e.Key, Utf8Order)];
            expected = [.. actual.Select(e => unpaged[e.Key])];
        }

        for (var i = 0; i < actual.Count; i++)
        {
            Assert.True(expected[i].Key == actual[i].Key, $"{query}: result {i} should be {expected[i].Key}, was {actual[i].Key}");
            Assert.True(expected[i].Size == actual[i].Size, $"{query}: size of {actual[i].Key} should be {expected[i].Size}, was {actual[i].Size}");
            if (query.KeysOnly)
            {
                Assert.True(actual[i].Value is null, $"{query}: keys-only result {actual[i].Key} has a value");
            }
            else
            {
                Assert.True(expected[i].Value.AsSpan().SequenceEqual(actual[i].Value), $"{query}: value of {actual[i].Key} differs");
            }
        }

        return actual;
    }

    /// <summary>go-datastore's <c>NaiveQueryApply</c>: prefix, filters, orders, offset, limit.</summary>
    private static List<QueryEntry> Model(Query query, IEnumerable<QueryEntry> input)
    {
        var results = input;
        var prefix = Key.Clean(query.Prefix);
        if (prefix != "/")
        {
            results = results.Where(e => e.Key.StartsWith(prefix + "/", StringComparison.Ordinal));
        }

        foreach (var filter in query.Filters)
        {
            results = results.Where(filter.Matches);
        }

        if (query.Orders.Count > 0)
        {
            results = results.Order(Comparer<QueryEntry>.Create((a, b) =>
            {
                foreach (var order in query.Orders)
                {
                    var result = order.Compare(a, b);
                    if (result != 0)
                    {
                        return result;
                    }
                }

                return Utf8Order.Compare(a.Key, b.Key);
            }));
        }

        results = results.Skip(query.Offset);
        if (query.Limit > 0)
        {
            results = results.Take(query.Limit);
        }

        return results.ToList();
    }

    /// <summary>Go's string order: the bytes of the UTF-8 encoding.</summary>
    private static Comparer<string> Utf8Order { get; } =
        Comparer<string>.Create((a, b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));

    private static IQueryOrder[] ParseOrders(string orders) => orders.Length == 0
        ? []
        : [.. orders.Split(',').Select(name => name switch
        {
            "key" => (IQueryOrder)OrderByKey.Instance,
            "key-descending" => OrderByKeyDescending.Instance,
            "value" => OrderByValue.Instance,
            "value-descending" => OrderByValueDescending.Instance,
            "function" => new OrderByFunction((a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value) * 7),
            _ => throw new ArgumentException(name, nameof(orders)),
        })];

    private static IQueryFilter[] ParseFilters(string filters, IReadOnlyList<QueryEntry> input) =>
        [.. filters.Split(", ").Select(text =>
        {
            var random = new byte[64];
            new Random(7).NextBytes(random);
            var parts = text.Split(' ');
            ComparisonOperator Op() => parts[1] switch
            {
                "==" => ComparisonOperator.Equal,
                "!=" => ComparisonOperator.NotEqual,
                "<" => ComparisonOperator.LessThan,
                "<=" => ComparisonOperator.LessThanOrEqual,
                ">" => ComparisonOperator.GreaterThan,
                _ => ComparisonOperator.GreaterThanOrEqual,
            };
            return parts[0] switch
            {
                "key" => (IQueryFilter)new KeyCompareFilter(Op(), parts[2]),
                "prefix" => new KeyPrefixFilter(parts[1]),
                "value" => new ValueCompareFilter(Op(), parts[2] == "first" ? input[0].Value! : random),
                _ => new EvenKeyLengthFilter(),
            };
        })];

    /// <summary>A filter the datastore cannot know (go-datastore's <c>testFilter</c>).</summary>
    private sealed class EvenKeyLengthFilter : IQueryFilter
    {
        public bool Matches(QueryEntry entry) => entry.Key.Length % 2 == 0;
    }
}
