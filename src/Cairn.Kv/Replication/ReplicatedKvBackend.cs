using Cairn.Core;
using Cairn.Kv.Cluster;
using Cairn.Kv.Keyspace;
using Cairn.Raft;
using Cairn.Raft.Hosting;

namespace Cairn.Kv.Replication;

/// <summary>
/// The keyspace of a cluster node: every key lives in the shard group that owns its slot, and this node serves the
/// groups it leads. A write is evaluated by the group's leader exactly as on one node, proposed to the group's log
/// as the engine writes it makes, and acknowledged once committed and applied; a read is answered from the
/// leader's state once a leadership check that began after it succeeds (ADR 0020). A key whose group this node
/// does not lead gets Redis Cluster's redirection.
/// </summary>
public sealed partial class ReplicatedKvBackend : IKvBackend
{
    private const int CursorGroupShift = 40;
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(50);

    private readonly RaftHost _host;
    private readonly Func<int, ulong> _groupOfSlot;
    private readonly IClusterRouter _router;
    private readonly TimeProvider _clock;
    private readonly Action<string> _log;
    private readonly CompletionTracker _tracker = new();
    private readonly Lock _membership = new();
    private volatile Dictionary<ulong, ShardReplica> _replicas = []; // replaced whole when a replica comes or goes
    private volatile ShardReplica[] _ordered;
    private readonly CancellationTokenSource _stop = new();
    private Task? _watch;

    /// <summary>Creates the keyspace over the shard groups this node hosts; <see cref="Start"/> begins serving.</summary>
    /// <param name="host">The node's Raft host, with the groups of <paramref name="machines"/> added.</param>
    /// <param name="machines">The state machines of the shard groups this node hosts.</param>
    /// <param name="groupOfSlot">Which shard group owns a slot (from the control group's state).</param>
    /// <param name="router">Where to send a client whose key this node does not serve.</param>
    /// <param name="clock">The clock expiry times are computed with.</param>
    /// <param name="log">Where operational messages go.</param>
    public ReplicatedKvBackend(RaftHost host, IEnumerable<ShardStateMachine> machines, Func<int, ulong> groupOfSlot, IClusterRouter router, TimeProvider? clock = null, Action<string>? log = null)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        ArgumentNullException.ThrowIfNull(machines);
        _groupOfSlot = groupOfSlot ?? throw new ArgumentNullException(nameof(groupOfSlot));
        _router = router ?? throw new ArgumentNullException(nameof(router));
        _clock = clock ?? TimeProvider.System;
        _log = log ?? (_ => { });
        var replicas = new Dictionary<ulong, ShardReplica>();
        foreach (var machine in machines)
        {
            replicas.Add(machine.GroupId, new ShardReplica(machine, new ReadBarrier(host, machine.GroupId, _tracker)));
        }

        _replicas = replicas;
        _ordered = [.. replicas.Values.OrderBy(r => r.GroupId)];
        MaxKeySize = Math.Min(Limits.MaxKeySize, MinOf(m => m.Engine.MaxKeySize) - EngineKeys.ExpiryHeader);
        MaxValueSize = Math.Min(Limits.MaxValueSize, MinOf(m => m.Engine.MaxValueSize) - StoredValue.MaxHeader);
    }

    /// <summary>
    /// Asked (with the group and term) before this node starts serving a group it was elected to lead; false defers
    /// serving to a later round (the node is handing the group to another leader first, so clients are not moved
    /// twice). Null serves at once.
    /// </summary>
    public Func<ulong, ulong, bool>? BeforeServing { get; set; }

    /// <summary>Raised (on a pool thread) when this node starts serving a group it now leads, with the term.</summary>
    public event Action<ulong, ulong>? LeaderReady;

    /// <inheritdoc/>
    public int MaxKeySize { get; }

    /// <inheritdoc/>
    public int MaxValueSize { get; }

    /// <inheritdoc/>
    public long ExpiredKeys => Leaders().Sum(l => l.Keyspace.ExpiredKeys);

    /// <inheritdoc/>
    public long ExpiringKeys => Leaders().Sum(l => l.Keyspace.ExpiringKeys);

    /// <summary>The shard groups this node holds replicas of.</summary>
    public IReadOnlyCollection<ulong> Groups => _replicas.Keys;

    /// <summary>Serves a replica this node just took (its group already added to the host).</summary>
    public void AddReplica(ShardStateMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        lock (_membership)
        {
            var replicas = new Dictionary<ulong, ShardReplica>(_replicas) { [machine.GroupId] = new ShardReplica(machine, new ReadBarrier(_host, machine.GroupId, _tracker)) };
            _ordered = [.. replicas.Values.OrderBy(r => r.GroupId)];
            _replicas = replicas;
        }
    }

    /// <summary>Stops serving a replica this node gives up; returns its state machine (the caller disposes it), or null.</summary>
    public ShardStateMachine? RemoveReplica(ulong groupId)
    {
        ShardReplica? replica;
        lock (_membership)
        {
            var replicas = new Dictionary<ulong, ShardReplica>(_replicas);
            if (!replicas.Remove(groupId, out replica))
            {
                return null;
            }

            _ordered = [.. replicas.Values.OrderBy(r => r.GroupId)];
            _replicas = replicas;
        }

        var leader = replica.Leader;
        replica.Leader = null;
        leader?.Dispose();
        return replica.Machine;
    }

    /// <summary>Whether this node hosts a replica of <paramref name="groupId"/>.</summary>
    public bool Hosts(ulong groupId) => _replicas.ContainsKey(groupId);

    /// <summary>Whether this node serves <paramref name="groupId"/> now (it leads it and its keyspace is ready).</summary>
    public bool Serves(ulong groupId) => _replicas.TryGetValue(groupId, out var replica) && replica.Leader is { Invalid: false };

    /// <summary>The leader of <paramref name="groupId"/> as this node last saw it; 0 when unknown or not hosted here.</summary>
    public ulong LeaderOf(ulong groupId) => _replicas.TryGetValue(groupId, out var replica) ? Volatile.Read(ref replica.LeaderId) : 0;

    /// <summary>The term of <paramref name="groupId"/> as this node last saw it; 0 when not hosted here.</summary>
    public ulong TermOf(ulong groupId) => _replicas.TryGetValue(groupId, out var replica) ? Volatile.Read(ref replica.Term) : 0;

    /// <summary>Starts watching the groups' leadership and serving those this node leads.</summary>
    public void Start() => _watch ??= Task.Run(WatchAsync);

    /// <inheritdoc/>
    public (ulong First, ulong Last) TakeReadTokens() => ReadTokens.Take();

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, ValueBuffer into) => For(key).TryGet(key, into);

    /// <inheritdoc/>
    public long StrLen(ReadOnlySpan<byte> key) => For(key).StrLen(key);

    /// <inheritdoc/>
    public bool Exists(ReadOnlySpan<byte> key) => For(key).Exists(key);

    /// <inheritdoc/>
    public long GetSize(ReadOnlySpan<byte> key) => For(key).GetSize(key);

    /// <inheritdoc/>
    public long TimeToLive(ReadOnlySpan<byte> key) => For(key).TimeToLive(key);

    /// <inheritdoc/>
    public long ExpireTime(ReadOnlySpan<byte> key) => For(key).ExpireTime(key);

    /// <inheritdoc/>
    public SetResult Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SetOptions options, ValueBuffer? previous)
    {
        var result = For(key).Set(key, value, options, previous);
        return Written(result);
    }

    /// <inheritdoc/>
    public ulong GetDelete(ReadOnlySpan<byte> key, ValueBuffer into, out bool found) => Written(For(key).GetDelete(key, into, out found));

    /// <inheritdoc/>
    public ulong GetExpire(ReadOnlySpan<byte> key, ValueBuffer into, long expireAt, bool persist, out bool found) =>
        Written(For(key).GetExpire(key, into, expireAt, persist, out found));

    /// <inheritdoc/>
    public ulong Delete(ReadOnlySpan<byte> key, out bool existed) => Written(For(key).Delete(key, out existed));

    /// <inheritdoc/>
    public ulong Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ValueBuffer scratch, out long length) =>
        Written(For(key).Append(key, value, scratch, out length));

    /// <inheritdoc/>
    public ulong IncrementBy(ReadOnlySpan<byte> key, long delta, ValueBuffer scratch, out long result) =>
        Written(For(key).IncrementBy(key, delta, scratch, out result));

    /// <inheritdoc/>
    public ulong Expire(ReadOnlySpan<byte> key, long expireAt, ExpireCondition condition, ValueBuffer scratch, out bool applied) =>
        Written(For(key).Expire(key, expireAt, condition, scratch, out applied));

    /// <inheritdoc/>
    public ulong Persist(ReadOnlySpan<byte> key, ValueBuffer scratch, out bool applied) => Written(For(key).Persist(key, scratch, out applied));

    /// <inheritdoc/>
    public ulong SetMany(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool onlyIfNoneExist, out bool applied)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            applied = false;
            return 0;
        }

        var slot = HashSlot.Of(pairs[0].Key);
        for (var i = 1; i < pairs.Count; i++)
        {
            if (HashSlot.Of(pairs[i].Key) != slot)
            {
                throw new KvException("CROSSSLOT Keys in request don't hash to the same slot");
            }
        }

        return Written(ForSlot(slot).SetMany(pairs, onlyIfNoneExist, out applied));
    }

    /// <inheritdoc/>
    public long Count() => Leaders().Sum(l => l.Keyspace.Count());

    /// <inheritdoc/>
    public ulong FlushAll()
    {
        ulong token = 0;
        foreach (var leader in Leaders())
        {
            token = Math.Max(token, leader.Keyspace.FlushAll());
        }

        return Written(token);
    }

    /// <inheritdoc/>
    public KeyScanPage Scan(long cursor, int count, ReadOnlySpan<byte> pattern, bool hasPattern)
    {
        // The cursor names a group (its place among this node's groups) and the group's own cursor.
        var ordinal = (int)(cursor >> CursorGroupShift);
        var inner = cursor & ((1L << CursorGroupShift) - 1);
        while (ordinal < _ordered.Length)
        {
            if (_ordered[ordinal].Leader is { Invalid: false } leader)
            {
                var page = Owned(_ordered[ordinal].GroupId, leader.Keyspace.Scan(inner, count, pattern, hasPattern));
                if (page.Cursor != 0)
                {
                    return new KeyScanPage(page.Keys, ((long)ordinal << CursorGroupShift) | page.Cursor);
                }

                var next = ordinal + 1 < _ordered.Length ? (long)(ordinal + 1) << CursorGroupShift : 0;
                return new KeyScanPage(page.Keys, next);
            }

            ordinal++;
            inner = 0;
        }

        return new KeyScanPage([], 0);
    }

    /// <inheritdoc/>
    public PrefixScanPage ScanPrefix(ReadOnlySpan<byte> prefix, byte[]? after, int count, bool withValues, long maxValueBytes)
    {
        // Each group's page is ordered; the merge keeps the first <count> keys across them.
        var pages = new List<PrefixScanPage>();
        foreach (var replica in _ordered)
        {
            if (replica.Leader is { Invalid: false } leader)
            {
                pages.Add(Owned(replica.GroupId, leader, leader.Keyspace.ScanPrefix(prefix, after, count, withValues, maxValueBytes)));
            }
        }

        return Merge(pages, count);
    }

    /// <summary>
    /// Merges ordered pages of different groups into one: no key past the point where any unfinished page stopped
    /// (that group may hold keys before the others' next ones), and at most <paramref name="count"/>.
    /// </summary>
    internal static PrefixScanPage Merge(IReadOnlyList<PrefixScanPage> pages, int count)
    {
        byte[]? bound = null;
        var all = new List<PrefixScanEntry>();
        foreach (var page in pages)
        {
            all.AddRange(page.Entries);
            if (page.ResumeAfter is { } resume && (bound is null || resume.AsSpan().SequenceCompareTo(bound) < 0))
            {
                bound = resume;
            }
        }

        all.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        var taken = new List<PrefixScanEntry>(Math.Min(count, all.Count));
        foreach (var entry in all)
        {
            if (taken.Count == count || (bound is not null && entry.Key.AsSpan().SequenceCompareTo(bound) > 0))
            {
                return new PrefixScanPage(taken, taken.Count > 0 ? taken[^1].Key : bound);
            }

            taken.Add(entry);
        }

        // A page may have been emptied by leaving out keys of slots its group no longer owns: resume at its bound.
        return new PrefixScanPage(taken, bound is null ? null : taken.Count > 0 ? taken[^1].Key : bound);
    }

    /// <inheritdoc/>
    public void Sync()
    {
        // Every acknowledged write is already in a quorum's fsynced log.
    }

    /// <inheritdoc/>
    public ValueTask WhenDurableAsync(ulong token, CancellationToken cancellationToken = default) =>
        _tracker.WaitAsync(token, token, cancellationToken);

    /// <inheritdoc/>
    public ValueTask WhenDoneAsync(ulong first, ulong last, CancellationToken cancellationToken = default) =>
        _tracker.WaitAsync(first, last, cancellationToken);

    /// <summary>Stops serving; the state machines stay with the host.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _watch?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        foreach (var replica in _ordered)
        {
            replica.Leader?.Dispose();
            replica.Leader = null;
        }

        _stop.Dispose();
    }

    private int MinOf(Func<ShardStateMachine, int> size) =>
        _replicas.Count == 0 ? int.MaxValue / 2 : _replicas.Values.Min(r => size(r.Machine));

    private IEnumerable<LeaderKeyspace> Leaders()
    {
        foreach (var replica in _ordered)
        {
            if (replica.Leader is { Invalid: false } leader)
            {
                yield return leader;
            }
        }
    }

    /// <summary>A write's reads were part of its evaluation, which its commit covers: they need no check of their own.</summary>
    private static T Written<T>(T result)
    {
        ReadTokens.Take();
        return result;
    }

    private LocalKvBackend For(ReadOnlySpan<byte> key) => ForSlot(HashSlot.Of(key));

    private LocalKvBackend ForSlot(int slot)
    {
        var groupId = _groupOfSlot(slot);
        if (_replicas.TryGetValue(groupId, out var replica) && replica.Leader is { Invalid: false } leader)
        {
            if (leader.Closed is { IsEmpty: false } closed && closed.Contains(slot))
            {
                throw new KvException(LocalKvBackend.ClosedSlotMessage); // handed over: neither reads nor writes here
            }

            return leader.Keyspace;
        }

        var route = _router.Route(slot, write: true, readOnlyConnection: false, asking: false);
        throw route.Kind switch
        {
            SlotRouteKind.Moved or SlotRouteKind.Ask => new KvException($"MOVED {slot} {route.Endpoint}"),
            SlotRouteKind.Down => new KvException("CLUSTERDOWN The cluster is down"),
            _ => new KvException("TRYAGAIN The slot's shard group is changing leader; try again"),
        };
    }

    private async Task WatchAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var replica in _ordered)
            {
                if (!_replicas.ContainsKey(replica.GroupId))
                {
                    continue; // given up meanwhile
                }

                try
                {
                    await WatchAsync(replica);
                }
                catch (KeyNotFoundException)
                {
                    // The host dropped the group before this node stopped serving it.
                }
                catch (Exception e) when (e is not OutOfMemoryException && !_stop.IsCancellationRequested)
                {
                    _log($"shard group {replica.GroupId}: {e.Message}");
                }
            }

            try
            {
                await Task.Delay(WatchInterval, _clock, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchAsync(ShardReplica replica)
    {
        RaftGroupStatus status;
        try
        {
            status = await _host.StatusAsync(replica.GroupId);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        Volatile.Write(ref replica.LeaderId, status.LeaderId);
        Volatile.Write(ref replica.Term, status.Term);
        var leader = replica.Leader;
        if (leader is not null && (leader.Invalid || status.Role != RaftRole.Leader || status.Term != leader.Term))
        {
            replica.Leader = null;
            leader.Dispose();
            _log($"shard group {replica.GroupId}: stopped serving (term {leader.Term} over)");
            leader = null;
        }

        if (leader is null && status.Role == RaftRole.Leader && (BeforeServing?.Invoke(replica.GroupId, status.Term) ?? true))
        {
            // Serve only once everything committed before this term is applied here: a ReadIndex succeeds only after
            // the leader has committed an entry of its own term, and completes once it is applied.
            await _host.ReadIndexAsync(replica.GroupId, _stop.Token);
            LeaderKeyspace? built = null;
            var overlay = new OverlayEngine(replica.Machine.Engine, _host, replica.GroupId, _tracker, replica.Barrier, failure =>
            {
                if (built is not null && !built.Invalid)
                {
                    built.Invalid = true;
                    _log($"shard group {replica.GroupId}: a write failed ({failure?.GetType().Name}: {failure?.Message}); rebuilding the keyspace before serving again");
                }
            });
            built = new LeaderKeyspace(status.Term, overlay, new LocalKvBackend(overlay, _clock));
            built.LoadHandovers();
            ReadTokens.Take(); // what building read is not a client's
            replica.Leader = built;
            if (!_replicas.TryGetValue(replica.GroupId, out var current) || current != replica)
            {
                replica.Leader = null; // the replica was given up while its keyspace was being built
                built.Dispose();
                return;
            }

            _log($"shard group {replica.GroupId}: serving as leader in term {status.Term}");
            LeaderReady?.Invoke(replica.GroupId, status.Term);
        }
    }
}
