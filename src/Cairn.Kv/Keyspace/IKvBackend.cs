namespace Cairn.Kv.Keyspace;

/// <summary>
/// The keyspace behind the Redis front end: every command's effect on data, each one atomic. One node serves it
/// from its local engine (<see cref="LocalKvBackend"/>); the cluster serves it from replicated shard groups.
/// </summary>
/// <remarks>
/// Writes are applied when a method returns and are visible to readers at once; they are durable once
/// <see cref="WhenDurableAsync"/> completes for the token the method returned (0: nothing to wait for). The front
/// end waits before it acknowledges, so an acknowledged write survives a crash.
/// Methods throw <see cref="KvException"/> for errors the client sees, and
/// <see cref="Cairn.Core.LimitExceededException"/> for keys or values over the limits.
/// </remarks>
public interface IKvBackend : IDisposable
{
    /// <summary>The largest key accepted.</summary>
    int MaxKeySize { get; }

    /// <summary>The largest value accepted.</summary>
    int MaxValueSize { get; }

    /// <summary>Keys deleted because they expired, since the backend started.</summary>
    long ExpiredKeys { get; }

    /// <summary>Reads the value of <paramref name="key"/> into <paramref name="into"/>; false when absent or expired.</summary>
    bool TryGet(ReadOnlySpan<byte> key, ValueBuffer into);

    /// <summary>The length of the value of <paramref name="key"/>, 0 when absent.</summary>
    long StrLen(ReadOnlySpan<byte> key);

    /// <summary>Whether <paramref name="key"/> exists (and has not expired).</summary>
    bool Exists(ReadOnlySpan<byte> key);

    /// <summary>SET with its options; <paramref name="previous"/> receives the old value when GET was asked for.</summary>
    SetResult Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SetOptions options, ValueBuffer? previous);

    /// <summary>GETDEL: reads the value into <paramref name="into"/> and deletes the key.</summary>
    ulong GetDelete(ReadOnlySpan<byte> key, ValueBuffer into, out bool found);

    /// <summary>GETEX: reads the value and sets its expiry (<paramref name="expireAt"/> &gt; 0) or removes it (<paramref name="persist"/>).</summary>
    ulong GetExpire(ReadOnlySpan<byte> key, ValueBuffer into, long expireAt, bool persist, out bool found);

    /// <summary>Deletes <paramref name="key"/>.</summary>
    ulong Delete(ReadOnlySpan<byte> key, out bool existed);

    /// <summary>APPEND: appends <paramref name="value"/> and reports the new length.</summary>
    ulong Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ValueBuffer scratch, out long length);

    /// <summary>INCRBY/DECRBY: adds <paramref name="delta"/> to the integer the key holds (0 when absent).</summary>
    ulong IncrementBy(ReadOnlySpan<byte> key, long delta, ValueBuffer scratch, out long result);

    /// <summary>EXPIRE and relatives: sets an absolute expiry (Unix ms) under <paramref name="condition"/>.</summary>
    ulong Expire(ReadOnlySpan<byte> key, long expireAt, ExpireCondition condition, ValueBuffer scratch, out bool applied);

    /// <summary>PERSIST: removes the key's expiry.</summary>
    ulong Persist(ReadOnlySpan<byte> key, ValueBuffer scratch, out bool applied);

    /// <summary>Milliseconds until the key expires; -1 when it has no expiry, -2 when it does not exist.</summary>
    long TimeToLive(ReadOnlySpan<byte> key);

    /// <summary>The key's expiry in Unix ms; -1 when it has none, -2 when it does not exist.</summary>
    long ExpireTime(ReadOnlySpan<byte> key);

    /// <summary>MSET / MSETNX: writes every pair atomically (for MSETNX only if none of the keys exists).</summary>
    ulong SetMany(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool onlyIfNoneExist, out bool applied);

    /// <summary>How many keys have an expiry.</summary>
    long ExpiringKeys { get; }

    /// <summary>How many keys exist (keys expired but not yet swept may be counted).</summary>
    long Count();

    /// <summary>Deletes every key.</summary>
    ulong FlushAll();

    /// <summary>SCAN: the next page of keys after <paramref name="cursor"/> (0 starts), matching a glob pattern when given.</summary>
    KeyScanPage Scan(long cursor, int count, ReadOnlySpan<byte> pattern, bool hasPattern);

    /// <summary>The size of the value of <paramref name="key"/> in bytes, or -1 when it is absent or expired.</summary>
    long GetSize(ReadOnlySpan<byte> key) => Exists(key) ? StrLen(key) : -1;

    /// <summary>
    /// One page of an ordered scan of the keys that start with <paramref name="prefix"/>, in ascending order of their
    /// bytes, starting strictly after <paramref name="after"/> (null: at the start of the prefix), with each key's
    /// value size and, when <paramref name="withValues"/>, its value. Expired keys are skipped.
    /// </summary>
    /// <param name="prefix">The bytes every returned key starts with; empty for every key.</param>
    /// <param name="after">The key the previous page resumed after, or null for the first page.</param>
    /// <param name="count">The most entries to return, 1 or more.</param>
    /// <param name="withValues">Return the values too.</param>
    /// <param name="maxValueBytes">
    /// With values, the page ends early once its values add up to this many bytes (it always holds at least one
    /// entry when any remain), so a page of large values stays a bounded reply.
    /// </param>
    PrefixScanPage ScanPrefix(ReadOnlySpan<byte> prefix, byte[]? after, int count, bool withValues, long maxValueBytes) =>
        throw new KvException("ERR CAIRN.SCANPREFIX is not supported by this keyspace");

    /// <summary>
    /// <c>CLUSTER COUNTKEYSINSLOT</c>: how many live keys hash to <paramref name="slot"/>. This default pages
    /// through <see cref="Scan"/>, so it costs a scan of the whole keyspace; a backend that keeps keys by slot
    /// answers faster.
    /// </summary>
    /// <param name="slot">The hash slot, 0..16383.</param>
    long CountKeysInSlot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Cairn.Core.HashSlot.Count);
        long count = 0;
        var cursor = 0L;
        do
        {
            var page = Scan(cursor, 1024, default, hasPattern: false);
            foreach (var key in page.Keys)
            {
                count += Cairn.Core.HashSlot.Of(key) == slot ? 1 : 0;
            }

            cursor = page.Cursor;
        }
        while (cursor != 0);
        return count;
    }

    /// <summary>
    /// <c>CLUSTER GETKEYSINSLOT</c>: up to <paramref name="count"/> live keys that hash to <paramref name="slot"/>.
    /// This default pages through <see cref="Scan"/>, so it may scan the whole keyspace.
    /// </summary>
    /// <param name="slot">The hash slot, 0..16383.</param>
    /// <param name="count">The most keys to return, 0 or more.</param>
    IReadOnlyList<byte[]> KeysInSlot(int slot, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Cairn.Core.HashSlot.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var keys = new List<byte[]>(Math.Min(count, 1024));
        var cursor = 0L;
        while (keys.Count < count)
        {
            var page = Scan(cursor, 1024, default, hasPattern: false);
            foreach (var key in page.Keys)
            {
                if (keys.Count < count && Cairn.Core.HashSlot.Of(key) == slot)
                {
                    keys.Add(key);
                }
            }

            cursor = page.Cursor;
            if (cursor == 0)
            {
                break;
            }
        }

        return keys;
    }

    /// <summary>Makes every write applied so far durable, whatever the sync policy (<c>CAIRN.SYNC</c>).</summary>
    void Sync() => throw new KvException("ERR CAIRN.SYNC is not supported by this keyspace");

    /// <summary>
    /// Takes what the reads of the command just run on this thread depend on, as a range of tokens to wait for before
    /// replying (0, 0: nothing). A replicated keyspace reads a leader's state at once and confirms afterwards.
    /// </summary>
    (ulong First, ulong Last) TakeReadTokens() => (0, 0);

    /// <summary>
    /// Completes when everything up to <paramref name="last"/> is done; fails when one of the caller's operations,
    /// which lie from <paramref name="first"/> to <paramref name="last"/>, did not take effect.
    /// </summary>
    ValueTask WhenDoneAsync(ulong first, ulong last, CancellationToken cancellationToken = default) =>
        WhenDurableAsync(last, cancellationToken);

    /// <summary>Completes when the writes up to <paramref name="token"/> are durable.</summary>
    ValueTask WhenDurableAsync(ulong token, CancellationToken cancellationToken = default);
}
