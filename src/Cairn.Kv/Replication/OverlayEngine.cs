using Cairn.Raft.Hosting;
using Cairn.Storage;

namespace Cairn.Kv.Replication;

/// <summary>
/// The engine a shard group's leader evaluates commands against: the committed state (the state machine's engine)
/// under an overlay of the writes proposed but not yet applied. Writes do not touch the committed engine: each is
/// encoded as a <see cref="ShardCommand"/>, put in the overlay and proposed to the group; its number is the token
/// the front end waits on before it replies. Reads see the overlay first, so commands pipelined on one connection
/// (SET then GET, INCR then INCR) see each other at once, and note what they depend on (<see cref="ReadTokens"/>).
/// </summary>
/// <remarks>
/// A <see cref="Cairn.Kv.Keyspace.LocalKvBackend"/> over this engine is the leader's keyspace: it runs every command
/// exactly as on one node, and each of its commands makes exactly one engine write, which becomes one log entry.
/// Proposals are made in the order the keyspace's write gate evaluates them, so the log holds them in that order.
/// </remarks>
internal sealed class OverlayEngine : IKvEngine
{
    private readonly IKvEngine _committed;
    private readonly RaftHost _host;
    private readonly ulong _groupId;
    private readonly CompletionTracker _tracker;
    private readonly ReadBarrier _barrier;
    private readonly Action<Exception?> _onFailure;
    private readonly Lock _lock = new();
    private readonly Dictionary<byte[], Pending> _pending = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Pending>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    /// <param name="committed">The state machine's engine (read only here).</param>
    /// <param name="host">Where proposals go.</param>
    /// <param name="groupId">The shard group.</param>
    /// <param name="tracker">Numbers proposals and reads.</param>
    /// <param name="barrier">The group's leadership checks for reads.</param>
    /// <param name="onFailure">Called when a proposal fails: the leader's keyspace must then be rebuilt.</param>
    public OverlayEngine(IKvEngine committed, RaftHost host, ulong groupId, CompletionTracker tracker, ReadBarrier barrier, Action<Exception?> onFailure)
    {
        _committed = committed;
        _host = host;
        _groupId = groupId;
        _tracker = tracker;
        _barrier = barrier;
        _onFailure = onFailure;
        _lookup = _pending.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>How many keys have writes in flight.</summary>
    public int PendingKeys
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <inheritdoc/>
    public int MaxKeySize => _committed.MaxKeySize;

    /// <inheritdoc/>
    public int MaxValueSize => _committed.MaxValueSize;

    /// <inheritdoc/>
    public ulong CheckpointIndex => 0;

    /// <inheritdoc/>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ReadTokens.Note(_barrier.Join());
        if (TryPending(key, out var pending))
        {
            return pending.Value;
        }

        return _committed.Get(key);
    }

    /// <inheritdoc/>
    public long GetSize(ReadOnlySpan<byte> key)
    {
        ReadTokens.Note(_barrier.Join());
        if (TryPending(key, out var pending))
        {
            return pending.Value?.Length ?? -1;
        }

        return _committed.GetSize(key);
    }

    /// <inheritdoc/>
    public int ReadInto(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        ReadTokens.Note(_barrier.Join());
        if (TryPending(key, out var pending))
        {
            if (pending.Value is not { } value)
            {
                return -1;
            }

            if (value.Length <= destination.Length)
            {
                value.CopyTo(destination);
            }

            return value.Length;
        }

        return _committed.ReadInto(key, destination);
    }

    /// <inheritdoc/>
    public ScanPage Scan(KeyRange range, byte[]? after, int limit, bool keysOnly)
    {
        ArgumentNullException.ThrowIfNull(range);
        ReadTokens.Note(_barrier.Join());
        var cursor = after;
        while (true)
        {
            var page = _committed.Scan(range, cursor, limit, keysOnly);
            var upper = page.Next is null || page.Entries.Count == 0 ? null : page.Entries[^1].Key;
            var merged = new SortedDictionary<byte[], KvEntry?>(ByteKeyComparer.Instance);
            foreach (var entry in page.Entries)
            {
                merged[entry.Key] = entry;
            }

            lock (_lock)
            {
                foreach (var (key, pending) in _pending)
                {
                    if (!range.Contains(key) || (cursor is not null && ByteKeyComparer.Instance.Compare(key, cursor) <= 0)
                        || (upper is not null && ByteKeyComparer.Instance.Compare(key, upper) > 0))
                    {
                        continue;
                    }

                    ReadTokens.Note(pending.Token);
                    merged[key] = pending.Value is { } value ? new KvEntry(key, keysOnly ? null : value, value.Length) : null;
                }
            }

            var entries = new List<KvEntry>(Math.Min(limit, merged.Count));
            var truncated = false;
            foreach (var entry in merged.Values)
            {
                if (entry is null)
                {
                    continue;
                }

                if (entries.Count == limit)
                {
                    truncated = true;
                    break;
                }

                entries.Add(entry);
            }

            var next = truncated ? entries[^1].Key : page.Next;
            if (entries.Count > 0 || next is null)
            {
                return new ScanPage(entries, next);
            }

            cursor = next; // everything in this page was deleted by writes in flight: read on
        }
    }

    /// <inheritdoc/>
    public ulong PutDeferred(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var token = _tracker.Issue();
        var keyCopy = key.ToArray();
        lock (_lock)
        {
            _pending[keyCopy] = new Pending(value.ToArray(), token);
        }

        Propose(ShardCommand.Put(key, value), token, [keyCopy]);
        return token;
    }

    /// <inheritdoc/>
    public ulong DeleteDeferred(ReadOnlySpan<byte> key, out bool existed)
    {
        var token = _tracker.Issue();
        var keyCopy = key.ToArray();
        lock (_lock)
        {
            existed = _lookup.TryGetValue(key, out var pending) ? pending.Value is not null : _committed.GetSize(key) >= 0;
            _pending[keyCopy] = new Pending(null, token);
        }

        Propose(ShardCommand.Delete(key), token, [keyCopy]);
        return token;
    }

    /// <inheritdoc/>
    public ulong WriteDeferred(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var token = _tracker.Issue();
        var keys = new byte[batch.Count][];
        lock (_lock)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var operation = batch.Operations[i];
                keys[i] = operation.Key;
                _pending[operation.Key] = new Pending(operation.Value, token);
            }
        }

        Propose(ShardCommand.Batch(batch), token, keys);
        return token;
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => PutDeferred(key, value);

    /// <inheritdoc/>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        DeleteDeferred(key, out var existed);
        return existed;
    }

    /// <inheritdoc/>
    public void Write(WriteBatch batch) => WriteDeferred(batch);

    /// <inheritdoc/>
    public ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default) =>
        WhenDurableAsync(WriteDeferred(batch), cancellationToken);

    /// <inheritdoc/>
    public ValueTask WhenDurableAsync(ulong token, CancellationToken cancellationToken = default) =>
        _tracker.WaitAsync(token, token, cancellationToken);

    /// <inheritdoc/>
    public void Flush()
    {
    }

    /// <inheritdoc/>
    public void Sync()
    {
        // Durability is the group's log: a write is acknowledged only once a quorum has it on disk.
    }

    /// <inheritdoc/>
    public void Checkpoint(ulong appliedIndex)
    {
    }

    /// <inheritdoc/>
    public EngineStats GetStats() => _committed.GetStats();

    /// <summary>Nothing: the committed engine belongs to the state machine.</summary>
    public void Dispose()
    {
    }

    private bool TryPending(ReadOnlySpan<byte> key, out Pending pending)
    {
        lock (_lock)
        {
            if (_pending.Count == 0 || !_lookup.TryGetValue(key, out pending))
            {
                pending = default;
                return false;
            }
        }

        ReadTokens.Note(pending.Token);
        return true;
    }

    private void Propose(byte[] command, ulong token, byte[][] keys)
    {
        Task<byte[]?> proposal;
        try
        {
            proposal = _host.ProposeAsync(_groupId, command);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            proposal = Task.FromException<byte[]?>(e);
        }

        proposal.ContinueWith(
            static (task, state) =>
            {
                var (engine, token, keys) = ((OverlayEngine, ulong, byte[][]))state!;
                engine.Finished(task.IsCompletedSuccessfully, token, keys, task.Exception?.InnerException);
            },
            (this, token, keys),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Finished(bool committed, ulong token, byte[][] keys, Exception? failure)
    {
        // Applied (or refused) by now: the committed engine holds the write, so the overlay entry can go, unless a
        // later write to the key replaced it.
        lock (_lock)
        {
            foreach (var key in keys)
            {
                if (_pending.TryGetValue(key, out var pending) && pending.Token == token)
                {
                    _pending.Remove(key);
                }
            }
        }

        _tracker.Complete(token, failed: !committed);
        if (!committed)
        {
            _onFailure(failure);
        }
    }

    private readonly record struct Pending(byte[]? Value, ulong Token);
}
