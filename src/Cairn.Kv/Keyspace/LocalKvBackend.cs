using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using Cairn.Core;
using Cairn.Storage;

namespace Cairn.Kv.Keyspace;

/// <summary>
/// The keyspace of one node over a local <see cref="IKvEngine"/>: string values with expiry, the atomic
/// read-modify-write commands, scans and counts. Reads run in parallel; every write runs under one gate, which
/// makes each command atomic (as in Redis, whose commands run one at a time). Writes are applied at once and
/// made durable by the engine's sync policy; callers wait on the returned token before acknowledging.
/// </summary>
public sealed partial class LocalKvBackend : IKvBackend
{
    private readonly IKvEngine _engine;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly Dictionary<byte[], long> _expiries = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _expiryLookup;
    private readonly ScanCursors _cursors = new();
    private readonly ExpirySweeper? _sweeper;
    private long _count;
    private long _expiredKeys;

    /// <summary>Opens the keyspace over <paramref name="engine"/>, rebuilding its counters and expiry table.</summary>
    /// <param name="engine">The engine; the backend owns it from now on.</param>
    /// <param name="clock">The clock for expiry (tests inject one).</param>
    /// <param name="activeExpiry">Whether a background sweep deletes expired keys nobody reads.</param>
    public LocalKvBackend(IKvEngine engine, TimeProvider? clock = null, bool activeExpiry = true)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _clock = clock ?? TimeProvider.System;
        _expiryLookup = _expiries.GetAlternateLookup<ReadOnlySpan<byte>>();
        MaxKeySize = Math.Min(Limits.MaxKeySize, engine.MaxKeySize - EngineKeys.ExpiryHeader);
        MaxValueSize = Math.Min(Limits.MaxValueSize, engine.MaxValueSize - StoredValue.MaxHeader);
        foreach (var entry in engine.ScanAll(KeyRange.Prefix([EngineKeys.Data]), keysOnly: true, pageSize: 4096))
        {
            _ = entry;
            _count++;
        }

        foreach (var entry in engine.ScanAll(KeyRange.Prefix([EngineKeys.Expiry]), keysOnly: true, pageSize: 4096))
        {
            var expireAt = BinaryPrimitives.ReadInt64BigEndian(entry.Key.AsSpan(1));
            _expiries[entry.Key[EngineKeys.ExpiryHeader..]] = expireAt;
        }

        if (activeExpiry)
        {
            _sweeper = new ExpirySweeper(this);
        }
    }

    /// <inheritdoc/>
    public int MaxKeySize { get; }

    /// <inheritdoc/>
    public int MaxValueSize { get; }

    /// <inheritdoc/>
    public long ExpiredKeys => Interlocked.Read(ref _expiredKeys);

    /// <summary>The engine the keyspace lives in.</summary>
    public IKvEngine Engine => _engine;

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, ValueBuffer into)
    {
        ArgumentNullException.ThrowIfNull(into);
        CheckKey(key);
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
        if (!ReadStored(dk, into, out var expireAt))
        {
            return false;
        }

        if (expireAt > 0 && expireAt <= Now)
        {
            ExpireNow(key, expireAt);
            return false;
        }

        return true;
    }

    /// <inheritdoc/>
    public long StrLen(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
        var size = _engine.GetSize(dk);
        if (size < 0 || IsExpired(key))
        {
            return 0;
        }

        lock (_gate)
        {
            return size - StoredValue.HeaderSize(_expiryLookup.TryGetValue(key, out var at) ? at : 0);
        }
    }

    /// <inheritdoc/>
    public bool Exists(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
        return _engine.GetSize(dk) >= 0 && !IsExpired(key);
    }

    /// <inheritdoc/>
    public SetResult Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SetOptions options, ValueBuffer? previous)
    {
        CheckKey(key);
        LimitExceededException.ThrowIfAbove("value", value.Length, MaxValueSize);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            // Two expiries: the stored one (whose index entry a rewrite must remove, even when it has passed), and
            // the effective one (0 once passed), which KEEPTTL keeps.
            var storedExpiry = _expiryLookup.TryGetValue(key, out var stored) ? stored : 0;
            var exists = ExistsLocked(key, out var currentExpiry);
            var hadPrevious = false;
            if (options.ReturnPrevious && previous is not null)
            {
                hadPrevious = exists && TryGetLocked(key, previous);
            }

            if ((options.Condition == SetCondition.IfAbsent && exists) || (options.Condition == SetCondition.IfPresent && !exists))
            {
                return new SetResult(false, hadPrevious, 0);
            }

            var expireAt = options.KeepTtl ? currentExpiry : options.ExpireAt;

            // ExistsLocked already asked the engine. An absent key is new unless it is stored but expired (an
            // expired key stays stored, and counted, until it is swept).
            var isNew = !exists && storedExpiry == 0;
            var token = WriteLocked(key, value, expireAt, storedExpiry, isNew);
            return new SetResult(true, hadPrevious, token);
        }
    }

    /// <inheritdoc/>
    public ulong GetDelete(ReadOnlySpan<byte> key, ValueBuffer into, out bool found)
    {
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            found = TryGetLocked(key, into);
            return found ? DeleteLocked(key, out _) : 0;
        }
    }

    /// <inheritdoc/>
    public ulong GetExpire(ReadOnlySpan<byte> key, ValueBuffer into, long expireAt, bool persist, out bool found)
    {
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            found = TryGetLocked(key, into);
            if (!found || (!persist && expireAt == 0))
            {
                return 0;
            }

            if (!persist && expireAt <= Now)
            {
                return DeleteLocked(key, out _); // an expiry in the past deletes the key, as in Redis
            }

            // Rewrite the value with its new expiry: a copy, since the buffer is the caller's.
            var payload = into.Value.ToArray();
            return WriteLocked(key, payload, persist ? 0 : expireAt);
        }
    }

    /// <inheritdoc/>
    public ulong Delete(ReadOnlySpan<byte> key, out bool existed)
    {
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            return DeleteLocked(key, out existed);
        }
    }

    /// <inheritdoc/>
    public ulong Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ValueBuffer scratch, out long length)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            var exists = TryGetLocked(key, scratch);
            var oldLength = exists ? scratch.Length : 0;
            length = oldLength + value.Length;
            LimitExceededException.ThrowIfAbove("value", length, MaxValueSize);
            var combined = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                if (exists)
                {
                    scratch.Value.CopyTo(combined);
                }

                value.CopyTo(combined.AsSpan(oldLength));
                var expireAt = exists && _expiryLookup.TryGetValue(key, out var at) ? at : 0;
                return WriteLocked(key, combined.AsSpan(0, (int)length), expireAt);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(combined);
            }
        }
    }

    /// <inheritdoc/>
    public ulong IncrementBy(ReadOnlySpan<byte> key, long delta, ValueBuffer scratch, out long result)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            long current = 0;
            var exists = TryGetLocked(key, scratch);
            if (exists && !TryParseInteger(scratch.Value, out current))
            {
                throw KvException.NotAnInteger();
            }

            if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
            {
                throw KvException.Overflow();
            }

            result = current + delta;
            Span<byte> digits = stackalloc byte[24];
            Utf8Formatter.TryFormat(result, digits, out var written);
            var expireAt = exists && _expiryLookup.TryGetValue(key, out var at) ? at : 0;
            return WriteLocked(key, digits[..written], expireAt);
        }
    }

    /// <inheritdoc/>
    public ulong Expire(ReadOnlySpan<byte> key, long expireAt, ExpireCondition condition, ValueBuffer scratch, out bool applied)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            applied = false;
            if (!TryGetLocked(key, scratch))
            {
                return 0;
            }

            var current = _expiryLookup.TryGetValue(key, out var at) ? at : 0;
            var allowed = condition switch
            {
                ExpireCondition.IfNone => current == 0,
                ExpireCondition.IfSome => current != 0,
                ExpireCondition.IfLater => current != 0 && expireAt > current, // no expiry counts as infinite
                ExpireCondition.IfSooner => current == 0 || expireAt < current,
                _ => true,
            };
            if (!allowed)
            {
                return 0;
            }

            applied = true;
            if (expireAt <= Now)
            {
                return DeleteLocked(key, out _);
            }

            return WriteLocked(key, scratch.Value.ToArray(), expireAt);
        }
    }

    /// <inheritdoc/>
    public ulong Persist(ReadOnlySpan<byte> key, ValueBuffer scratch, out bool applied)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        CheckKey(key);
        lock (_gate)
        {
            ThrowIfClosedLocked(key);
            applied = false;
            if (!_expiryLookup.ContainsKey(key) || !TryGetLocked(key, scratch))
            {
                return 0;
            }

            applied = true;
            return WriteLocked(key, scratch.Value.ToArray(), 0);
        }
    }

    /// <inheritdoc/>
    public long TimeToLive(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        lock (_gate)
        {
            if (!ExistsLocked(key, out var expireAt))
            {
                return -2;
            }

            return expireAt == 0 ? -1 : Math.Max(0, expireAt - Now);
        }
    }

    /// <inheritdoc/>
    public long ExpireTime(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        lock (_gate)
        {
            return !ExistsLocked(key, out var expireAt) ? -2 : expireAt == 0 ? -1 : expireAt;
        }
    }

    /// <inheritdoc/>
    public ulong SetMany(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool onlyIfNoneExist, out bool applied)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        foreach (var (key, value) in pairs)
        {
            CheckKey(key);
            LimitExceededException.ThrowIfAbove("value", value.Length, MaxValueSize);
        }

        lock (_gate)
        {
            foreach (var (key, _) in pairs)
            {
                ThrowIfClosedLocked(key);
            }

            applied = false;
            if (onlyIfNoneExist && pairs.Any(p => ExistsLocked(p.Key, out _)))
            {
                return 0;
            }

            // One batch, so the pairs become durable together; later duplicates win, as in Redis.
            var batch = new WriteBatch();
            var created = new HashSet<byte[]>(ByteKeyComparer.Instance);
            foreach (var (key, value) in pairs)
            {
                var stored = new byte[StoredValue.HeaderSize(0) + value.Length];
                StoredValue.Write(stored, value, 0);
                batch.Put(EngineKeys.DataKey(key), stored);
                if (_expiries.Remove(key, out var oldExpiry))
                {
                    batch.Delete(EngineKeys.ExpiryKey(oldExpiry, key));
                }

                if (_engine.GetSize(EngineKeys.DataKey(key)) < 0)
                {
                    created.Add(key);
                }
            }

            var token = _engine.WriteDeferred(batch);
            _count += created.Count;
            applied = true;
            return token;
        }
    }

    /// <inheritdoc/>
    public long Count() => Interlocked.Read(ref _count);

    /// <inheritdoc/>
    public long ExpiringKeys
    {
        get
        {
            lock (_gate)
            {
                return _expiries.Count;
            }
        }
    }

    /// <inheritdoc/>
    public ulong FlushAll()
    {
        lock (_gate)
        {
            if (ClosedSlots is { IsEmpty: false })
            {
                throw new KvException(ClosedSlotMessage); // it would empty slots whose keys are being handed over
            }

            ulong token = 0;
            foreach (var prefix in (ReadOnlySpan<byte>)[EngineKeys.Data, EngineKeys.Expiry])
            {
                token = DeleteAllLocked(prefix, token); // hand-over records (another prefix) stay
            }

            _expiries.Clear();
            Interlocked.Exchange(ref _count, 0);
            return token;
        }
    }

    private ulong DeleteAllLocked(byte prefix, ulong token)
    {
        while (true)
        {
            var page = _engine.Scan(KeyRange.Prefix([prefix]), null, 4096, keysOnly: true);
            if (page.Entries.Count == 0)
            {
                return token;
            }

            var batch = new WriteBatch();
            foreach (var entry in page.Entries)
            {
                batch.Delete(entry.Key);
            }

            token = _engine.WriteDeferred(batch);
        }
    }

    /// <inheritdoc/>
    public KeyScanPage Scan(long cursor, int count, ReadOnlySpan<byte> pattern, bool hasPattern)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        byte[]? after = null;
        if (cursor != 0 && !_cursors.TryTake(cursor, out after))
        {
            return new KeyScanPage([], 0); // an unknown or expired cursor ends the iteration, as a bad cursor does in Redis
        }

        var range = KeyRange.Prefix([EngineKeys.Data]);
        var page = _engine.Scan(range, after, count, keysOnly: true);
        var keys = new List<byte[]>(page.Entries.Count);
        var now = Now;
        foreach (var entry in page.Entries)
        {
            var key = entry.Key[1..];
            if (hasPattern && !GlobPattern.IsMatch(pattern, key))
            {
                continue;
            }

            lock (_gate)
            {
                if (_expiryLookup.TryGetValue(key, out var at) && at <= now)
                {
                    continue;
                }
            }

            keys.Add(key);
        }

        var next = page.Next is null ? 0 : _cursors.Issue(page.Next);
        return new KeyScanPage(keys, next);
    }

    /// <inheritdoc/>
    /// <remarks>Reads every key in the engine (keys only): O(keys). Meant for operators and tests, not hot paths.</remarks>
    public long CountKeysInSlot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
        long count = 0;
        foreach (var key in LiveKeysInSlot(slot))
        {
            _ = key;
            count++;
        }

        return count;
    }

    /// <inheritdoc/>
    /// <remarks>Reads keys in order until <paramref name="count"/> match: up to O(keys). Keys come in byte order.</remarks>
    public IReadOnlyList<byte[]> KeysInSlot(int slot, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var keys = new List<byte[]>(Math.Min(count, 1024));
        if (count == 0)
        {
            return keys;
        }

        foreach (var key in LiveKeysInSlot(slot))
        {
            keys.Add(key.ToArray());
            if (keys.Count == count)
            {
                break;
            }
        }

        return keys;
    }

    /// <summary>The live keys in <paramref name="slot"/>, in byte order, as slices of the engine keys read.</summary>
    private IEnumerable<ReadOnlyMemory<byte>> LiveKeysInSlot(int slot)
    {
        var now = Now;
        foreach (var entry in _engine.ScanAll(KeyRange.Prefix([EngineKeys.Data]), keysOnly: true, pageSize: 4096))
        {
            var key = entry.Key.AsMemory(1);
            if (HashSlot.Of(key.Span) != slot)
            {
                continue;
            }

            lock (_gate)
            {
                if (_expiryLookup.TryGetValue(key.Span, out var at) && at <= now)
                {
                    continue;
                }
            }

            yield return key;
        }
    }

    /// <inheritdoc/>
    public long GetSize(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
        lock (_gate)
        {
            // Under the gate, so the stored size and the expiry (which sets the header's size) belong together.
            var size = _engine.GetSize(dk);
            if (size < 0)
            {
                return -1;
            }

            var expireAt = _expiryLookup.TryGetValue(key, out var at) ? at : 0;
            return expireAt > 0 && expireAt <= Now ? -1 : size - StoredValue.HeaderSize(expireAt);
        }
    }

    /// <inheritdoc/>
    public PrefixScanPage ScanPrefix(ReadOnlySpan<byte> prefix, byte[]? after, int count, bool withValues, long maxValueBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var range = KeyRange.Prefix(EngineKeys.DataKey(prefix));
        var resume = after is null ? null : EngineKeys.DataKey(after);
        if (resume is not null && range.Start is not null && resume.AsSpan().SequenceCompareTo(range.Start) < 0)
        {
            resume = null; // a cursor before the prefix: start at the prefix
        }

        var entries = new List<PrefixScanEntry>(Math.Min(count, 1024));
        long valueBytes = 0;
        var examined = 0L;
        var now = Now;

        // With values, read small engine pages, so a page stopped early by maxValueBytes has not read much more.
        var pageSize = withValues ? Math.Min(count, 64) : count;
        while (true)
        {
            var page = _engine.Scan(range, resume, Math.Min(pageSize, count - entries.Count), keysOnly: !withValues);
            foreach (var entry in page.Entries)
            {
                resume = entry.Key;
                examined++;
                var key = entry.Key[1..];
                long size;
                byte[]? value = null;
                if (withValues)
                {
                    if (!StoredValue.TryRead(entry.Value, out var expireAt, out var payload))
                    {
                        throw new CorruptionException($"The stored value of a key is malformed (flags byte {entry.Value![0]}).");
                    }

                    if (expireAt > 0 && expireAt <= now)
                    {
                        continue;
                    }

                    value = payload.ToArray();
                    size = value.Length;
                }
                else
                {
                    lock (_gate)
                    {
                        var expireAt = _expiryLookup.TryGetValue(key, out var at) ? at : 0;
                        if (expireAt > 0 && expireAt <= now)
                        {
                            continue;
                        }

                        size = entry.Size - StoredValue.HeaderSize(expireAt);
                    }
                }

                entries.Add(new PrefixScanEntry(key, size, value));
                valueBytes += value?.Length ?? 0;
                if (entries.Count >= count || (withValues && valueBytes >= maxValueBytes))
                {
                    // Full: resume after this key (a next page may turn out empty, which ends the scan then).
                    return new PrefixScanPage(entries, key);
                }
            }

            if (page.Next is null)
            {
                return new PrefixScanPage(entries, null);
            }

            if (examined >= 8L * count)
            {
                // Mostly expired keys: return what there is rather than scan on without bound.
                return new PrefixScanPage(entries, page.Next[1..]);
            }

            resume = page.Next;
        }
    }

    /// <inheritdoc/>
    public void Sync() => _engine.Sync();

    /// <inheritdoc/>
    public ValueTask WhenDurableAsync(ulong token, CancellationToken cancellationToken = default) =>
        _engine.WhenDurableAsync(token, cancellationToken);

    /// <summary>Stops the expiry sweep and disposes the engine.</summary>
    public void Dispose()
    {
        _sweeper?.Dispose();
        _engine.Dispose();
    }

    /// <summary>Deletes up to <paramref name="limit"/> keys whose expiry has passed; returns how many.</summary>
    internal int SweepExpired(int limit)
    {
        var now = Now;
        Span<byte> upper = stackalloc byte[EngineKeys.ExpiryHeader];
        upper[0] = EngineKeys.Expiry;
        BinaryPrimitives.WriteInt64BigEndian(upper[1..], now + 1);
        var page = _engine.Scan(KeyRange.Between([EngineKeys.Expiry], upper), null, limit, keysOnly: true);
        var deleted = 0;
        foreach (var entry in page.Entries)
        {
            var key = entry.Key.AsSpan(EngineKeys.ExpiryHeader);
            var at = BinaryPrimitives.ReadInt64BigEndian(entry.Key.AsSpan(1));
            ExpireNow(key, at);
            deleted++;
        }

        return deleted;
    }

    private void ExpireNow(ReadOnlySpan<byte> key, long expireAt)
    {
        lock (_gate)
        {
            // Only if the key still has this expiry: it may have been rewritten since it was read.
            if (_expiryLookup.TryGetValue(key, out var current) && current == expireAt && expireAt <= Now)
            {
                DeleteLocked(key, out _);
                Interlocked.Increment(ref _expiredKeys);
            }
            else if (!_expiryLookup.ContainsKey(key))
            {
                // A stale expiry index entry with no live expiry behind it (left by a crash mid-rewrite).
                _engine.DeleteDeferred(EngineKeys.ExpiryKey(expireAt, key), out _);
            }
        }
    }

    private bool IsExpired(ReadOnlySpan<byte> key)
    {
        lock (_gate)
        {
            return _expiryLookup.TryGetValue(key, out var at) && at <= Now;
        }
    }

    /// <summary>Whether the key exists and has not expired, with its expiry (0 for none). Under the gate.</summary>
    private bool ExistsLocked(ReadOnlySpan<byte> key, out long expireAt)
    {
        expireAt = _expiryLookup.TryGetValue(key, out var at) ? at : 0;
        if (expireAt > 0 && expireAt <= Now)
        {
            expireAt = 0; // an expired key has no expiry to keep (SET KEEPTTL writes a value without one)
            return false;
        }

        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        return _engine.GetSize(dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)]) >= 0;
    }

    private bool TryGetLocked(ReadOnlySpan<byte> key, ValueBuffer into)
    {
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
        return ReadStored(dk, into, out var expireAt) && (expireAt == 0 || expireAt > Now);
    }

    /// <summary>Reads a stored value into <paramref name="into"/>, growing it as needed.</summary>
    private bool ReadStored(ReadOnlySpan<byte> dataKey, ValueBuffer into, out long expireAt)
    {
        expireAt = 0;
        while (true)
        {
            var length = _engine.ReadInto(dataKey, into.Space);
            if (length < 0)
            {
                return false;
            }

            if (length > into.Space.Length)
            {
                into.Ensure(length); // the value grew or was bigger than the buffer: read again
                continue;
            }

            if (!StoredValue.TryRead(into.Space[..length], out expireAt, out var payload))
            {
                throw new CorruptionException($"The stored value of a key is malformed (flags byte {into.Space[0]}).");
            }

            into.Start = length - payload.Length;
            into.Length = payload.Length;
            return true;
        }
    }

    /// <summary>Writes a value with its expiry, keeping the expiry index in step. Under the gate.</summary>
    private ulong WriteLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireAt) =>
        WriteLocked(key, value, expireAt, _expiryLookup.TryGetValue(key, out var at) ? at : 0, isNew: null);

    /// <summary>
    /// <see cref="WriteLocked(ReadOnlySpan{byte}, ReadOnlySpan{byte}, long)"/> for a caller that has just looked up
    /// the key's current expiry (<paramref name="oldExpiry"/>, 0 for none) and, when <paramref name="isNew"/> is not
    /// null, whether the engine holds the key: SET's path, which would otherwise look both up twice.
    /// </summary>
    private ulong WriteLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireAt, long oldExpiry, bool? isNew)
    {
        var size = StoredValue.HeaderSize(expireAt) + value.Length;
        var stored = ArrayPool<byte>.Shared.Rent(size);
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        try
        {
            StoredValue.Write(stored, value, expireAt);
            var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
            isNew ??= _engine.GetSize(dk) < 0;
            ulong token;
            if (oldExpiry == 0 && expireAt == 0)
            {
                token = _engine.PutDeferred(dk, stored.AsSpan(0, size)); // the common case allocates nothing
            }
            else
            {
                // Value and expiry index change together, atomically.
                var batch = new WriteBatch().Put(dk, stored.AsSpan(0, size));
                if (oldExpiry != 0)
                {
                    batch.Delete(EngineKeys.ExpiryKey(oldExpiry, key));
                }

                if (expireAt != 0)
                {
                    batch.Put(EngineKeys.ExpiryKey(expireAt, key), []);
                }

                token = _engine.WriteDeferred(batch);
                if (expireAt != 0)
                {
                    _expiries[key.ToArray()] = expireAt;
                }
                else
                {
                    _expiryLookup.Remove(key);
                }
            }

            if (isNew.Value)
            {
                Interlocked.Increment(ref _count);
            }

            return token;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(stored);
        }
    }

    private ulong DeleteLocked(ReadOnlySpan<byte> key, out bool existed)
    {
        Span<byte> stack = stackalloc byte[EngineKeyBuffer.StackSize];
        using var dataKey = new EngineKeyBuffer(key.Length, stack);
        var dk = dataKey.Space[..EngineKeys.DataKey(dataKey.Space, key)];
        var expired = _expiryLookup.TryGetValue(key, out var expireAt) && expireAt <= Now;
        ulong token;
        if (expireAt != 0)
        {
            existed = _engine.GetSize(dk) >= 0;
            var batch = new WriteBatch().Delete(dk).Delete(EngineKeys.ExpiryKey(expireAt, key));
            token = _engine.WriteDeferred(batch);
            _expiryLookup.Remove(key);
        }
        else
        {
            token = _engine.DeleteDeferred(dk, out existed);
        }

        if (existed)
        {
            Interlocked.Decrement(ref _count);
        }

        existed &= !expired; // an expired key was already gone as far as clients can tell
        return token;
    }

    private void CheckKey(ReadOnlySpan<byte> key) => LimitExceededException.ThrowIfAbove("key", key.Length, MaxKeySize);

    private static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20 || (text[0] == (byte)'+') || (text.Length > 1 && text[0] == (byte)'0') ||
            (text.Length > 1 && text[0] == (byte)'-' && text[1] == (byte)'0'))
        {
            return false; // Redis accepts only the canonical form: no sign, no leading zeros, no spaces
        }

        return Utf8Parser.TryParse(text, out value, out var used) && used == text.Length;
    }
}
