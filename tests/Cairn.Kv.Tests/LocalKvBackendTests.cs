using System.Text;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Tests.Support;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Storage.Memory;

namespace Cairn.Kv.Tests;

public sealed class LocalKvBackendTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly LocalKvBackend _kv;
    private readonly ValueBuffer _buffer = new();

    public LocalKvBackendTests()
    {
        _kv = new LocalKvBackend(new MemoryEngine(), _clock, activeExpiry: false);
    }

    public void Dispose()
    {
        _kv.Dispose();
        _buffer.Dispose();
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private long In(int ms) => _clock.UnixMs + ms;

    private string? Get(string key) => Get(_kv, key);

    private string? Get(LocalKvBackend kv, string key) => kv.TryGet(B(key), _buffer) ? Encoding.UTF8.GetString(_buffer.Value) : null;

    private bool Set(string key, string value, SetCondition condition = SetCondition.Always, long expireAt = 0, bool keepTtl = false) =>
        _kv.Set(B(key), B(value), new SetOptions(condition, expireAt, keepTtl, false), null).Written;

    private long Ttl(string key) => _kv.TimeToLive(B(key));

    [Fact]
    public void Set_then_get_returns_the_value_and_a_missing_key_is_absent()
    {
        Assert.True(Set("k", "v"));
        Assert.Equal("v", Get("k"));
        Assert.Null(Get("missing"));
        Assert.True(_kv.Exists(B("k")));
        Assert.Equal(1, _kv.StrLen(B("k")));
        Assert.Equal(0, _kv.StrLen(B("missing")));
    }

    [Fact]
    public void Set_NX_writes_only_when_the_key_is_absent()
    {
        Assert.True(Set("k", "first", SetCondition.IfAbsent));
        Assert.False(Set("k", "second", SetCondition.IfAbsent));
        Assert.Equal("first", Get("k"));
    }

    [Fact]
    public void Set_XX_writes_only_when_the_key_is_present()
    {
        Assert.False(Set("k", "first", SetCondition.IfPresent));
        Assert.Null(Get("k"));
        Set("k", "first");
        Assert.True(Set("k", "second", SetCondition.IfPresent));
        Assert.Equal("second", Get("k"));
    }

    [Fact]
    public void Set_NX_and_XX_treat_an_expired_key_as_absent()
    {
        Set("k", "old", expireAt: In(100));
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(Set("k", "xx", SetCondition.IfPresent));
        Assert.True(Set("k", "nx", SetCondition.IfAbsent));
        Assert.Equal("nx", Get("k"));
        Assert.Equal(-1, Ttl("k"));
    }

    [Fact]
    public void Set_GET_returns_the_previous_value_even_when_NX_refuses_the_write()
    {
        using var previous = new ValueBuffer();
        var first = _kv.Set(B("k"), B("v1"), new SetOptions(SetCondition.Always, 0, false, true), previous);
        Assert.True(first.Written);
        Assert.False(first.HadPrevious);

        var second = _kv.Set(B("k"), B("v2"), new SetOptions(SetCondition.Always, 0, false, true), previous);
        Assert.True(second.HadPrevious);
        Assert.Equal("v1", Encoding.UTF8.GetString(previous.Value));

        var refused = _kv.Set(B("k"), B("v3"), new SetOptions(SetCondition.IfAbsent, 0, false, true), previous);
        Assert.False(refused.Written);
        Assert.True(refused.HadPrevious);
        Assert.Equal("v2", Encoding.UTF8.GetString(previous.Value));
        Assert.Equal("v2", Get("k"));
    }

    [Fact]
    public void A_value_with_an_expiry_lives_until_exactly_its_expiry_time()
    {
        Set("k", "v", expireAt: In(1000));
        Assert.Equal(1000, Ttl("k"));
        Assert.Equal(In(1000), _kv.ExpireTime(B("k")));
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("v", Get("k"));
        Assert.Equal(1, Ttl("k"));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(Get("k"));
        Assert.Equal(-2, Ttl("k"));
    }

    [Fact]
    public void Set_without_KEEPTTL_clears_the_expiry_and_with_KEEPTTL_keeps_it()
    {
        Set("k", "v1", expireAt: In(5000));
        Set("k", "v2", keepTtl: true);
        Assert.Equal("v2", Get("k"));
        Assert.Equal(5000, Ttl("k"));

        Set("k", "v3");
        Assert.Equal(-1, Ttl("k"));
        Assert.Equal(0, _kv.ExpiringKeys);
    }

    [Fact]
    public void Set_KEEPTTL_over_an_expired_key_writes_a_value_without_expiry()
    {
        Set("k", "old", expireAt: In(100));
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(Set("k", "new", keepTtl: true));
        Assert.Equal("new", Get("k"));
        Assert.Equal(-1, Ttl("k"));
    }

    [Fact]
    public void An_expired_key_is_deleted_lazily_when_it_is_read()
    {
        Set("keep", "v");
        Set("k", "v", expireAt: In(10));
        Assert.Equal(2, _kv.Count());
        _clock.Advance(TimeSpan.FromMilliseconds(10));

        Assert.False(_kv.Exists(B("k")));
        Assert.Equal(0, _kv.StrLen(B("k")));
        Assert.Equal(-2, _kv.TimeToLive(B("k")));
        Assert.Equal(-2, _kv.ExpireTime(B("k")));
        Assert.Null(Get("k")); // the read deletes it
        Assert.Equal(1, _kv.ExpiredKeys);
        Assert.Equal(1, _kv.Count());
        Assert.Equal(0, _kv.ExpiringKeys);
        _kv.Delete(B("k"), out var existed);
        Assert.False(existed);
    }

    [Fact]
    public void The_sweep_deletes_expired_keys_nobody_reads_in_bounded_rounds()
    {
        for (var i = 0; i < 2500; i++)
        {
            Set($"short:{i}", "v", expireAt: In(1000));
        }

        for (var i = 0; i < 10; i++)
        {
            Set($"long:{i}", "v", expireAt: In(60_000));
            Set($"forever:{i}", "v");
        }

        Assert.Equal(0, _kv.SweepExpired(1000)); // nothing due yet
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1000, _kv.SweepExpired(1000));
        Assert.Equal(1000, _kv.SweepExpired(1000));
        Assert.Equal(500, _kv.SweepExpired(1000));
        Assert.Equal(0, _kv.SweepExpired(1000));

        Assert.Equal(20, _kv.Count());
        Assert.Equal(10, _kv.ExpiringKeys);
        Assert.Equal(2500, _kv.ExpiredKeys);
        Assert.Equal("v", Get("long:3"));
        Assert.Equal("v", Get("forever:3"));
        Assert.Null(Get("short:3"));
    }

    [Fact]
    public void The_sweep_does_not_delete_a_key_whose_expiry_was_extended()
    {
        Set("k", "v", expireAt: In(100));
        _kv.Expire(B("k"), In(10_000), ExpireCondition.Always, _buffer, out var applied);
        Assert.True(applied);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, _kv.SweepExpired(100));
        Assert.Equal("v", Get("k"));
    }

    [Fact]
    public void The_background_sweep_deletes_expired_keys_by_itself()
    {
        using var kv = new LocalKvBackend(new MemoryEngine(), _clock, activeExpiry: true);
        for (var i = 0; i < 1500; i++)
        {
            kv.Set(B($"k{i}"), B("v"), new SetOptions(SetCondition.Always, In(50), false, false), null);
        }

        kv.Set(B("stays"), B("v"), default, null);
        Assert.Equal(1501, kv.Count());
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        Deadline.WaitUntil(() => kv.Count() == 1, TimeSpan.FromSeconds(10), "the background sweep to delete 1,500 expired keys");
        Assert.Equal(1500, kv.ExpiredKeys);
        Assert.Equal(0, kv.ExpiringKeys);
    }

    [Fact]
    public void Incr_counts_from_zero_and_keeps_the_expiry()
    {
        _kv.IncrementBy(B("n"), 1, _buffer, out var one);
        Assert.Equal(1, one);
        _kv.IncrementBy(B("n"), 41, _buffer, out var answer);
        Assert.Equal(42, answer);
        _kv.IncrementBy(B("n"), -50, _buffer, out var negative);
        Assert.Equal(-8, negative);
        Assert.Equal("-8", Get("n"));

        Set("t", "10", expireAt: In(3000));
        _kv.IncrementBy(B("t"), 5, _buffer, out var fifteen);
        Assert.Equal(15, fifteen);
        Assert.Equal(3000, Ttl("t"));
    }

    [Theory]
    [InlineData(long.MaxValue, 1)]
    [InlineData(long.MaxValue - 5, 6)]
    [InlineData(long.MinValue, -1)]
    [InlineData(-10, long.MinValue)]
    public void Incr_that_would_overflow_fails_and_leaves_the_value(long start, long delta)
    {
        var text = start.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Set("n", text);
        var error = Assert.Throws<KvException>(() => _kv.IncrementBy(B("n"), delta, _buffer, out _));
        Assert.Equal("ERR increment or decrement would overflow", error.Message);
        Assert.Equal(text, Get("n"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData("-0")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public void Incr_on_a_value_that_is_not_a_canonical_integer_fails(string value)
    {
        Set("n", value);
        var error = Assert.Throws<KvException>(() => _kv.IncrementBy(B("n"), 1, _buffer, out _));
        Assert.Equal("ERR value is not an integer or out of range", error.Message);
        Assert.Equal(value, Get("n"));
    }

    [Fact]
    public void Incr_on_an_expired_key_starts_from_zero_without_expiry()
    {
        Set("n", "100", expireAt: In(10));
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        _kv.IncrementBy(B("n"), 1, _buffer, out var result);
        Assert.Equal(1, result);
        Assert.Equal(-1, Ttl("n"));
        Assert.Equal(1, _kv.Count());
    }

    [Fact]
    public void Append_creates_or_extends_the_value_and_keeps_the_expiry()
    {
        _kv.Append(B("s"), B("Hello"), _buffer, out var created);
        Assert.Equal(5, created);
        _kv.Expire(B("s"), In(2000), ExpireCondition.Always, _buffer, out _);
        _kv.Append(B("s"), B(" World"), _buffer, out var extended);
        Assert.Equal(11, extended);
        Assert.Equal("Hello World", Get("s"));
        Assert.Equal(2000, Ttl("s"));
        Assert.Equal(1, _kv.Count());
    }

    [Fact]
    public void GetDel_returns_the_value_and_deletes_the_key()
    {
        Set("k", "v", expireAt: In(1000));
        _kv.GetDelete(B("k"), _buffer, out var found);
        Assert.True(found);
        Assert.Equal("v", Encoding.UTF8.GetString(_buffer.Value));
        Assert.Null(Get("k"));
        Assert.Equal(0, _kv.Count());
        Assert.Equal(0, _kv.ExpiringKeys);

        _kv.GetDelete(B("k"), _buffer, out var again);
        Assert.False(again);
    }

    [Fact]
    public void GetEx_reads_and_sets_or_removes_the_expiry()
    {
        Set("k", "v");
        _kv.GetExpire(B("k"), _buffer, 0, persist: false, out var plain);
        Assert.True(plain);
        Assert.Equal(-1, Ttl("k"));

        _kv.GetExpire(B("k"), _buffer, In(4000), persist: false, out var withTtl);
        Assert.True(withTtl);
        Assert.Equal("v", Encoding.UTF8.GetString(_buffer.Value));
        Assert.Equal(4000, Ttl("k"));

        _kv.GetExpire(B("k"), _buffer, 0, persist: true, out var persisted);
        Assert.True(persisted);
        Assert.Equal(-1, Ttl("k"));

        _kv.GetExpire(B("k"), _buffer, _clock.UnixMs - 1, persist: false, out var past);
        Assert.True(past); // the value is returned, and the key is gone
        Assert.Equal("v", Encoding.UTF8.GetString(_buffer.Value));
        Assert.Null(Get("k"));

        _kv.GetExpire(B("missing"), _buffer, In(1000), persist: false, out var missing);
        Assert.False(missing);
        Assert.Equal(-2, Ttl("missing"));
    }

    [Theory]
    [InlineData(ExpireCondition.Always, false, true)]
    [InlineData(ExpireCondition.Always, true, true)]
    [InlineData(ExpireCondition.IfNone, false, true)]
    [InlineData(ExpireCondition.IfNone, true, false)]
    [InlineData(ExpireCondition.IfSome, false, false)]
    [InlineData(ExpireCondition.IfSome, true, true)]
    [InlineData(ExpireCondition.IfLater, false, false)] // no expiry counts as infinite: nothing is later
    [InlineData(ExpireCondition.IfSooner, false, true)]
    public void Expire_conditions_decide_whether_the_expiry_is_set(ExpireCondition condition, bool hasTtl, bool expected)
    {
        Set("k", "v", expireAt: hasTtl ? In(5000) : 0);
        _kv.Expire(B("k"), In(7000), condition, _buffer, out var applied);
        Assert.Equal(expected, applied);
        Assert.Equal(expected ? 7000 : hasTtl ? 5000 : -1, Ttl("k"));
        Assert.Equal("v", Get("k"));
    }

    [Fact]
    public void Expire_GT_and_LT_compare_with_the_current_expiry()
    {
        Set("k", "v", expireAt: In(5000));
        _kv.Expire(B("k"), In(4000), ExpireCondition.IfLater, _buffer, out var earlierGt);
        Assert.False(earlierGt);
        _kv.Expire(B("k"), In(6000), ExpireCondition.IfLater, _buffer, out var laterGt);
        Assert.True(laterGt);
        Assert.Equal(6000, Ttl("k"));
        _kv.Expire(B("k"), In(7000), ExpireCondition.IfSooner, _buffer, out var laterLt);
        Assert.False(laterLt);
        _kv.Expire(B("k"), In(3000), ExpireCondition.IfSooner, _buffer, out var earlierLt);
        Assert.True(earlierLt);
        Assert.Equal(3000, Ttl("k"));
    }

    [Fact]
    public void Expire_in_the_past_deletes_the_key_and_expire_on_a_missing_key_does_nothing()
    {
        Set("k", "v");
        _kv.Expire(B("k"), _clock.UnixMs, ExpireCondition.Always, _buffer, out var applied);
        Assert.True(applied);
        Assert.Null(Get("k"));
        Assert.Equal(0, _kv.Count());

        _kv.Expire(B("missing"), In(1000), ExpireCondition.Always, _buffer, out var missing);
        Assert.False(missing);
        Assert.Equal(-2, Ttl("missing"));
    }

    [Fact]
    public void Persist_removes_an_expiry_only_where_there_is_one()
    {
        Set("k", "v", expireAt: In(1000));
        _kv.Persist(B("k"), _buffer, out var applied);
        Assert.True(applied);
        Assert.Equal(-1, Ttl("k"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("v", Get("k"));

        _kv.Persist(B("k"), _buffer, out var again);
        Assert.False(again);
        _kv.Persist(B("missing"), _buffer, out var missing);
        Assert.False(missing);
    }

    [Fact]
    public void Ttl_is_minus_one_without_expiry_and_minus_two_without_key()
    {
        Set("k", "v");
        Assert.Equal(-1, Ttl("k"));
        Assert.Equal(-2, Ttl("missing"));
        Assert.Equal(-1, _kv.ExpireTime(B("k")));
        Assert.Equal(-2, _kv.ExpireTime(B("missing")));
    }

    [Fact]
    public void MSetNX_writes_all_pairs_or_none()
    {
        _kv.SetMany([(B("a"), B("1")), (B("b"), B("2"))], onlyIfNoneExist: true, out var first);
        Assert.True(first);
        Assert.Equal("1", Get("a"));

        _kv.SetMany([(B("c"), B("3")), (B("a"), B("x"))], onlyIfNoneExist: true, out var second);
        Assert.False(second);
        Assert.Null(Get("c"));
        Assert.Equal("1", Get("a"));
        Assert.Equal(2, _kv.Count());
    }

    [Fact]
    public void MSetNX_treats_an_expired_key_as_absent_and_MSet_clears_expiries()
    {
        Set("a", "old", expireAt: In(10));
        Set("b", "old", expireAt: In(10_000));
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        _kv.SetMany([(B("a"), B("new"))], onlyIfNoneExist: true, out var applied);
        Assert.True(applied);
        Assert.Equal("new", Get("a"));
        Assert.Equal(-1, Ttl("a"));

        _kv.SetMany([(B("b"), B("new")), (B("b"), B("newer"))], onlyIfNoneExist: false, out _);
        Assert.Equal("newer", Get("b"));
        Assert.Equal(-1, Ttl("b"));
        Assert.Equal(0, _kv.ExpiringKeys);
        Assert.Equal(2, _kv.Count());
    }

    [Fact]
    public void The_key_count_follows_every_kind_of_write()
    {
        Set("a", "1");
        Set("b", "2");
        Set("a", "again");
        Assert.Equal(2, _kv.Count());

        _kv.SetMany([(B("b"), B("x")), (B("c"), B("x")), (B("d"), B("x")), (B("d"), B("y"))], false, out _);
        Assert.Equal(4, _kv.Count());

        _kv.Delete(B("a"), out var existed);
        Assert.True(existed);
        _kv.Delete(B("a"), out var twice);
        Assert.False(twice);
        Assert.Equal(3, _kv.Count());

        _kv.GetDelete(B("b"), _buffer, out _);
        _kv.Append(B("e"), B("x"), _buffer, out _);
        _kv.IncrementBy(B("f"), 1, _buffer, out _);
        Assert.Equal(4, _kv.Count());

        Set("g", "v", expireAt: In(10));
        Set("h", "v", expireAt: In(10));
        Assert.Equal(6, _kv.Count());
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Null(Get("g"));
        Assert.Equal(5, _kv.Count());
        _kv.SweepExpired(100);
        Assert.Equal(4, _kv.Count());

        _kv.FlushAll();
        Assert.Equal(0, _kv.Count());
        Assert.Null(Get("c"));
        Assert.Empty(ScanAll(_kv, 10));
    }

    private static List<string> ScanAll(LocalKvBackend kv, int count, string? pattern = null)
    {
        var keys = new List<string>();
        long cursor = 0;
        var pages = 0;
        do
        {
            var page = kv.Scan(cursor, count, pattern is null ? default : Encoding.UTF8.GetBytes(pattern), pattern is not null);
            keys.AddRange(page.Keys.Select(k => Encoding.UTF8.GetString(k)));
            cursor = page.Cursor;
            Assert.True(++pages < 1_000_000, "the scan does not end");
        }
        while (cursor != 0);
        return keys;
    }

    [Fact]
    public void Scan_returns_every_key_exactly_once()
    {
        var expected = Enumerable.Range(0, 3000).Select(i => $"key:{i}").ToHashSet();
        foreach (var key in expected)
        {
            Set(key, "v");
        }

        foreach (var count in new[] { 1, 7, 100, 5000 })
        {
            var keys = ScanAll(_kv, count);
            Assert.Equal(expected.Count, keys.Count);
            Assert.Equal(expected, keys.ToHashSet());
        }
    }

    [Fact]
    public void Scan_with_a_pattern_returns_only_matching_keys_and_skips_expired_ones()
    {
        for (var i = 0; i < 500; i++)
        {
            Set($"user:{i}", "v");
            Set($"session:{i}", "v", expireAt: i % 2 == 0 ? In(10) : 0);
        }

        _clock.Advance(TimeSpan.FromMilliseconds(10));
        var users = ScanAll(_kv, 33, "user:*");
        Assert.Equal(500, users.Count);
        Assert.All(users, k => Assert.StartsWith("user:", k, StringComparison.Ordinal));

        var sessions = ScanAll(_kv, 33, "session:*");
        Assert.Equal(250, sessions.Count);
        Assert.Equal(Enumerable.Range(0, 500).Where(i => i % 2 == 1).Select(i => $"session:{i}").ToHashSet(), sessions.ToHashSet());
        Assert.Equal(["user:42"], ScanAll(_kv, 1000, "user:4[2]"));
    }

    [Fact]
    public async Task Scan_returns_every_key_present_throughout_exactly_once_while_other_keys_are_written()
    {
        var stable = Enumerable.Range(0, 2000).Select(i => $"s:{i:D5}").ToList();
        foreach (var key in stable)
        {
            Set(key, "v");
        }

        using var stop = new CancellationTokenSource();
        var churned = 0;
        var writer = Task.Run(() =>
        {
            var random = new Random(7);
            using var buffer = new ValueBuffer();
            while (!stop.IsCancellationRequested)
            {
                // Keys that sort before, between and after the stable ones come and go.
                const string prefixes = "abcdefghijklmnopqrtuvwxyz"; // every letter but the stable keys' 's'
                var key = B($"{prefixes[random.Next(prefixes.Length)]}:{random.Next(100_000):D5}");
                if (random.Next(3) == 0)
                {
                    _kv.Delete(key, out _);
                }
                else
                {
                    _kv.Set(key, B("x"), default, null);
                }

                Interlocked.Increment(ref churned);
            }
        });

        try
        {
            Deadline.WaitUntil(() => Volatile.Read(ref churned) > 1000, TimeSpan.FromSeconds(10), "the writer to start");
            for (var round = 0; round < 5; round++)
            {
                var seen = ScanAll(_kv, 25);
                var counts = seen.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                Assert.Empty(counts);
                var stableSeen = seen.Where(k => k.StartsWith("s:", StringComparison.Ordinal)).ToHashSet();
                Assert.Equal(stable.ToHashSet(), stableSeen);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        Assert.True(churned > 1000);
    }

    [Fact]
    public void Values_expiries_and_counts_survive_reopening_a_log_store()
    {
        using var dir = new TempDirectory();
        var options = new LogStoreOptions { Sync = SyncPolicy.Always };
        using (var kv = new LocalKvBackend(LogStore.Open(dir.Path, options), _clock, activeExpiry: false))
        {
            for (var i = 0; i < 100; i++)
            {
                kv.Set(B($"plain:{i}"), B($"value {i}"), default, null);
            }

            kv.Set(B("soon"), B("v"), new SetOptions(SetCondition.Always, In(1000), false, false), null);
            kv.Set(B("later"), B("v"), new SetOptions(SetCondition.Always, In(60_000), false, false), null);
            kv.Set(B("persisted"), B("v"), new SetOptions(SetCondition.Always, In(1000), false, false), null);
            kv.Persist(B("persisted"), _buffer, out _);
            kv.Delete(B("plain:0"), out _);
            kv.IncrementBy(B("counter"), 7, _buffer, out _);
        }

        using (var kv = new LocalKvBackend(LogStore.Open(dir.Path, options), _clock, activeExpiry: false))
        {
            Assert.Equal(103, kv.Count());
            Assert.Equal(2, kv.ExpiringKeys);
            Assert.Equal("value 99", Get(kv, "plain:99"));
            Assert.Null(Get(kv, "plain:0"));
            Assert.Equal("7", Get(kv, "counter"));
            Assert.Equal(1000, kv.TimeToLive(B("soon")));
            Assert.Equal(60_000, kv.TimeToLive(B("later")));
            Assert.Equal(-1, kv.TimeToLive(B("persisted")));
        }

        _clock.Advance(TimeSpan.FromSeconds(2));
        using (var kv = new LocalKvBackend(LogStore.Open(dir.Path, options), _clock, activeExpiry: false))
        {
            Assert.Null(Get(kv, "soon"));
            Assert.Equal(102, kv.Count());
            Assert.Equal(0, kv.SweepExpired(100));
            Assert.Equal("v", Get(kv, "later"));
            _clock.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(1, kv.SweepExpired(100));
            Assert.Equal(101, kv.Count());
            Assert.Equal(0, kv.ExpiringKeys);
        }

        using (var kv = new LocalKvBackend(LogStore.Open(dir.Path, options), _clock, activeExpiry: false))
        {
            Assert.Equal(101, kv.Count());
            Assert.Equal(0, kv.ExpiringKeys);
            Assert.Equal(101, ScanAll(kv, 50).Count);
        }
    }
}
