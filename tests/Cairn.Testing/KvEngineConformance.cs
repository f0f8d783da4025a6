using System.Collections.Concurrent;
using System.Text;
using Cairn.Core;
using Cairn.Storage;
using Xunit;

namespace Cairn.Testing;

/// <summary>
/// The behaviour every <see cref="IKvEngine"/> shares. An engine's test class inherits this and says how to open
/// the engine over a directory; every test here then runs against it.
/// </summary>
public abstract class KvEngineConformance : IDisposable
{
    private readonly List<IKvEngine> _opened = [];

    /// <summary>A fresh directory for this test's engine.</summary>
    protected string Directory { get; } = Path.Combine(Path.GetTempPath(), "cairn-test-" + Guid.NewGuid().ToString("N"));

    /// <summary>Whether the engine keeps its data across dispose and reopen over the same directory.</summary>
    protected virtual bool IsDurable => true;

    /// <summary>Opens the engine under test over <paramref name="directory"/>, creating it when needed.</summary>
    protected abstract IKvEngine OpenEngine(string directory);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var engine in _opened)
        {
            engine.Dispose();
        }

        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Opens the engine and disposes it when the test ends.</summary>
    protected IKvEngine Open()
    {
        var engine = OpenEngine(Directory);
        _opened.Add(engine);
        return engine;
    }

    /// <summary>Disposes <paramref name="engine"/> and opens it again over the same directory.</summary>
    protected IKvEngine Reopen(IKvEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.Dispose();
        _opened.Remove(engine);
        return Open();
    }

    /// <summary>UTF-8 bytes of <paramref name="text"/>.</summary>
    protected static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The text of UTF-8 <paramref name="bytes"/>.</summary>
    protected static string S(byte[]? bytes) => bytes is null ? "<null>" : Encoding.UTF8.GetString(bytes);

    [Fact]
    public void Get_of_a_missing_key_is_null_and_size_is_minus_one()
    {
        var engine = Open();
        Assert.Null(engine.Get(B("/missing")));
        Assert.Equal(-1, engine.GetSize(B("/missing")));
        Assert.False(engine.Contains(B("/missing")));
    }

    [Fact]
    public void Put_then_get_returns_the_value_and_put_overwrites()
    {
        var engine = Open();
        engine.Put(B("/a"), B("one"));
        Assert.Equal("one", S(engine.Get(B("/a"))));
        Assert.Equal(3, engine.GetSize(B("/a")));
        engine.Put(B("/a"), B("three"));
        Assert.Equal("three", S(engine.Get(B("/a"))));
        Assert.Equal(5, engine.GetSize(B("/a")));
    }

    [Fact]
    public void An_empty_value_is_stored_and_is_not_absence()
    {
        var engine = Open();
        engine.Put(B("/empty"), []);
        Assert.Equal(Array.Empty<byte>(), engine.Get(B("/empty")));
        Assert.Equal(0, engine.GetSize(B("/empty")));
    }

    [Fact]
    public void Delete_removes_and_deleting_a_missing_key_succeeds()
    {
        var engine = Open();
        engine.Put(B("/a"), B("1"));
        Assert.True(engine.Delete(B("/a")));
        Assert.Null(engine.Get(B("/a")));
        Assert.False(engine.Delete(B("/a")));
        Assert.False(engine.Delete(B("/never")));
    }

    [Fact]
    public void Binary_keys_and_values_round_trip()
    {
        var engine = Open();
        byte[] key = [0x00, 0xFF, 0x2F, 0x00, 0x80];
        var value = new byte[4096];
        new Random(1).NextBytes(value);
        engine.Put(key, value);
        Assert.Equal(value, engine.Get(key));
    }

    [Fact]
    public void A_one_mebibyte_value_round_trips()
    {
        var engine = Open();
        var value = new byte[1 << 20];
        new Random(2).NextBytes(value);
        engine.Put(B("/big"), value);
        Assert.Equal(value, engine.Get(B("/big")));
        Assert.Equal(value.Length, engine.GetSize(B("/big")));
    }

    [Fact]
    public void A_key_over_the_limit_is_refused_with_an_error_that_names_it()
    {
        var engine = Open();
        var error = Assert.Throws<LimitExceededException>(() => engine.Put(new byte[engine.MaxKeySize + 1], B("v")));
        Assert.Contains("key", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.GetStats().Keys);
    }

    [Fact]
    public void A_value_over_the_limit_is_refused_and_nothing_is_written()
    {
        var engine = Open();
        engine.Put(B("/v"), B("kept"));
        var error = Assert.Throws<LimitExceededException>(() => engine.Put(B("/v"), new byte[engine.MaxValueSize + 1]));
        Assert.Contains("value", error.Message, StringComparison.Ordinal);
        Assert.Equal("kept", S(engine.Get(B("/v"))));
    }

    [Fact]
    public void Scan_returns_keys_in_unsigned_byte_order_with_values_and_sizes()
    {
        var engine = Open();
        byte[][] keys = [B("/b"), B("/a"), [0x2F, 0xFF], [0x2F, 0x00], B("/a/"), B("/ab"), B("/a/b")];
        foreach (var key in keys)
        {
            engine.Put(key, key.Concat(B("!")).ToArray());
        }

        var entries = engine.ScanAll(KeyRange.All).ToList();
        var expected = keys.OrderBy(k => k, ByteKeyComparer.Instance).ToList();
        Assert.Equal(expected, entries.Select(e => e.Key));
        Assert.All(entries, e => Assert.Equal(e.Key.Concat(B("!")).ToArray(), e.Value));
        Assert.All(entries, e => Assert.Equal(e.Key.Length + 1, e.Size));
    }

    [Fact]
    public void Prefix_scan_returns_exactly_the_keys_with_the_prefix()
    {
        var engine = Open();
        foreach (var key in new[] { "/foo", "/foo/bar", "/foo/baz", "/foobar", "/fo", "/g", "/foo/bar/x" })
        {
            engine.Put(B(key), B("v"));
        }

        var found = engine.ScanAll(KeyRange.Prefix(B("/foo/"))).Select(e => S(e.Key)).ToList();
        Assert.Equal(["/foo/bar", "/foo/bar/x", "/foo/baz"], found);
    }

    [Fact]
    public void Prefix_of_0xFF_bytes_has_no_upper_bound_and_still_matches()
    {
        var engine = Open();
        engine.Put([0xFF, 0xFF, 0x01], B("a"));
        engine.Put([0xFF, 0xFE], B("b"));
        var found = engine.ScanAll(KeyRange.Prefix([0xFF, 0xFF])).ToList();
        Assert.Single(found);
        Assert.Equal([0xFF, 0xFF, 0x01], found[0].Key);
    }

    [Fact]
    public void Range_scan_is_half_open()
    {
        var engine = Open();
        for (var i = 0; i < 10; i++)
        {
            engine.Put(B($"/k{i}"), B("v"));
        }

        var found = engine.ScanAll(KeyRange.Between(B("/k3"), B("/k7"))).Select(e => S(e.Key)).ToList();
        Assert.Equal(["/k3", "/k4", "/k5", "/k6"], found);
    }

    [Fact]
    public void Paging_with_the_cursor_visits_every_key_once()
    {
        var engine = Open();
        var keys = Enumerable.Range(0, 1000).Select(i => $"/p/{i:D5}").ToList();
        foreach (var key in keys)
        {
            engine.Put(B(key), B(key));
        }

        var seen = new List<string>();
        byte[]? after = null;
        var pages = 0;
        do
        {
            var page = engine.Scan(KeyRange.Prefix(B("/p/")), after, 77, keysOnly: false);
            Assert.True(page.Entries.Count <= 77);
            seen.AddRange(page.Entries.Select(e => S(e.Key)));
            after = page.Next;
            pages++;
            Assert.True(pages < 100, "the cursor must make progress");
        }
        while (after is not null);

        Assert.Equal(keys, seen);
    }

    [Fact]
    public void Keys_only_scan_leaves_values_null_and_sets_sizes()
    {
        var engine = Open();
        engine.Put(B("/x"), B("12345"));
        var entry = Assert.Single(engine.ScanAll(KeyRange.All, keysOnly: true));
        Assert.Null(entry.Value);
        Assert.Equal(5, entry.Size);
    }

    [Fact]
    public void Scan_of_an_empty_engine_or_range_returns_nothing()
    {
        var engine = Open();
        var page = engine.Scan(KeyRange.All, null, 10, keysOnly: false);
        Assert.Empty(page.Entries);
        Assert.Null(page.Next);
        engine.Put(B("/a"), B("1"));
        Assert.Empty(engine.ScanAll(KeyRange.Prefix(B("/b"))));
    }

    [Fact]
    public void A_batch_applies_in_order_and_later_operations_win()
    {
        var engine = Open();
        engine.Put(B("/gone"), B("x"));
        var batch = new WriteBatch()
            .Put(B("/a"), B("1"))
            .Put(B("/b"), B("2"))
            .Put(B("/a"), B("3"))
            .Delete(B("/gone"))
            .Put(B("/c"), B("4"))
            .Delete(B("/c"));
        engine.Write(batch);
        Assert.Equal("3", S(engine.Get(B("/a"))));
        Assert.Equal("2", S(engine.Get(B("/b"))));
        Assert.Null(engine.Get(B("/gone")));
        Assert.Null(engine.Get(B("/c")));
        Assert.Equal(2, engine.GetStats().Keys);
    }

    [Fact]
    public async Task WriteAsync_applies_the_batch()
    {
        var engine = Open();
        await engine.WriteAsync(new WriteBatch().Put(B("/a"), B("1")).Put(B("/b"), B("2")));
        Assert.Equal("1", S(engine.Get(B("/a"))));
        Assert.Equal("2", S(engine.Get(B("/b"))));
    }

    [Fact]
    public void A_batch_with_an_oversized_value_is_refused_whole()
    {
        var engine = Open();
        var batch = new WriteBatch().Put(B("/ok"), B("1")).Put(B("/bad"), new byte[engine.MaxValueSize + 1]);
        Assert.Throws<LimitExceededException>(() => engine.Write(batch));
        Assert.Null(engine.Get(B("/ok")));
    }

    [Fact]
    public void Returned_arrays_are_copies_the_caller_may_change()
    {
        var engine = Open();
        engine.Put(B("/a"), B("abc"));
        var first = engine.Get(B("/a"))!;
        first[0] = (byte)'z';
        Assert.Equal("abc", S(engine.Get(B("/a"))));
        var batch = new WriteBatch().Put(B("/b"), B("xyz"));
        engine.Write(batch);
        batch.Clear();
        Assert.Equal("xyz", S(engine.Get(B("/b"))));
    }

    [Fact]
    public void Stats_count_live_keys()
    {
        var engine = Open();
        for (var i = 0; i < 50; i++)
        {
            engine.Put(B($"/s/{i}"), B("value"));
        }

        engine.Delete(B("/s/0"));
        engine.Put(B("/s/1"), B("other"));
        var stats = engine.GetStats();
        Assert.Equal(49, stats.Keys);
        Assert.False(string.IsNullOrEmpty(stats.Engine));
    }

    [Fact]
    public void Concurrent_writers_and_readers_lose_nothing()
    {
        var engine = Open();
        const int writers = 8, perWriter = 300;
        var errors = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            try
            {
                for (var i = 0; i < perWriter; i++)
                {
                    var key = B($"/c/{w}/{i:D4}");
                    engine.Put(key, key);
                    if (!key.AsSpan().SequenceEqual(engine.Get(key)))
                    {
                        throw new InvalidOperationException($"read back {S(key)} wrong");
                    }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        Assert.Equal(writers * perWriter, engine.ScanAll(KeyRange.Prefix(B("/c/")), keysOnly: true).Count());
    }

    [Fact]
    public void A_scan_during_writes_sees_every_key_that_stays_present_exactly_once()
    {
        var engine = Open();
        var stable = Enumerable.Range(0, 500).Select(i => $"/w/{i:D4}").ToList();
        foreach (var key in stable)
        {
            engine.Put(B(key), B("s"));
        }

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested && n < 20_000)
            {
                // Churn keys between the stable ones; the stable ones stay put.
                var key = B($"/w/{n % 500:D4}x{n % 7}");
                engine.Put(key, B("churn"));
                if (n % 3 == 0)
                {
                    engine.Delete(key);
                }

                n++;
            }
        });
        var seen = engine.ScanAll(KeyRange.Prefix(B("/w/")), keysOnly: true, pageSize: 16)
            .Select(e => S(e.Key))
            .Where(k => !k.Contains('x', StringComparison.Ordinal))
            .ToList();
        stop.Cancel();
        writer.Wait();
        Assert.Equal(stable, seen);
    }

    [Fact]
    public void Data_survives_dispose_and_reopen()
    {
        if (!IsDurable)
        {
            return;
        }

        var engine = Open();
        for (var i = 0; i < 200; i++)
        {
            engine.Put(B($"/r/{i:D3}"), B($"value {i}"));
        }

        engine.Delete(B("/r/007"));
        engine.Put(B("/r/008"), B("changed"));
        engine.Write(new WriteBatch().Put(B("/r/batch"), B("b")).Delete(B("/r/009")));
        engine = Reopen(engine);
        Assert.Null(engine.Get(B("/r/007")));
        Assert.Null(engine.Get(B("/r/009")));
        Assert.Equal("changed", S(engine.Get(B("/r/008"))));
        Assert.Equal("value 150", S(engine.Get(B("/r/150"))));
        Assert.Equal("b", S(engine.Get(B("/r/batch"))));
        Assert.Equal(199, engine.GetStats().Keys);
    }

    [Fact]
    public void Checkpoint_index_is_kept_and_survives_reopen()
    {
        var engine = Open();
        Assert.Equal(0ul, engine.CheckpointIndex);
        engine.Put(B("/a"), B("1"));
        engine.Checkpoint(42);
        Assert.Equal(42ul, engine.CheckpointIndex);
        if (IsDurable)
        {
            engine = Reopen(engine);
            Assert.Equal(42ul, engine.CheckpointIndex);
            Assert.Equal("1", S(engine.Get(B("/a"))));
        }
    }

    [Fact]
    public async Task Deferred_writes_are_visible_at_once_and_durable_when_awaited()
    {
        var engine = Open();
        var first = engine.PutDeferred(B("/d/a"), B("1"));
        Assert.Equal("1", S(engine.Get(B("/d/a"))));
        var second = engine.WriteDeferred(new WriteBatch().Put(B("/d/b"), B("2")).Put(B("/d/c"), B("3")));
        var third = engine.DeleteDeferred(B("/d/c"), out var existed);
        Assert.True(existed);
        engine.DeleteDeferred(B("/d/never"), out var neverExisted);
        Assert.False(neverExisted);
        Assert.True(second >= first && third >= second, "tokens grow with the writes they stand for");
        await engine.WhenDurableAsync(third);
        Assert.Equal("2", S(engine.Get(B("/d/b"))));
        Assert.Null(engine.Get(B("/d/c")));
        if (IsDurable)
        {
            engine = Reopen(engine);
            Assert.Equal("1", S(engine.Get(B("/d/a"))));
            Assert.Equal("2", S(engine.Get(B("/d/b"))));
            Assert.Null(engine.Get(B("/d/c")));
        }
    }

    [Fact]
    public void ReadInto_copies_a_value_that_fits_and_reports_the_length_of_one_that_does_not()
    {
        var engine = Open();
        var value = new byte[5000];
        new Random(4).NextBytes(value);
        engine.Put(B("/r/big"), value);
        engine.Put(B("/r/small"), B("abc"));
        var buffer = new byte[8192];
        Assert.Equal(5000, engine.ReadInto(B("/r/big"), buffer));
        Assert.Equal(value, buffer[..5000]);
        Assert.Equal(3, engine.ReadInto(B("/r/small"), buffer));
        Assert.Equal("abc", S(buffer[..3]));
        var tooSmall = new byte[10];
        Assert.Equal(5000, engine.ReadInto(B("/r/big"), tooSmall));
        Assert.Equal(new byte[10], tooSmall);
        Assert.Equal(-1, engine.ReadInto(B("/r/missing"), buffer));
    }

    [Fact]
    public void Flush_and_sync_succeed()
    {
        var engine = Open();
        engine.Put(B("/a"), B("1"));
        engine.Flush();
        engine.Sync();
        Assert.Equal("1", S(engine.Get(B("/a"))));
    }

    [Fact]
    public void A_disposed_engine_refuses_use()
    {
        var engine = Open();
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => engine.Get(B("/a")));
        Assert.Throws<ObjectDisposedException>(() => engine.Put(B("/a"), B("1")));
    }
}
