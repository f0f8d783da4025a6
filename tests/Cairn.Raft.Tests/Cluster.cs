using System.Text;

namespace Cairn.Raft.Tests;

/// <summary>
/// N in-memory <see cref="RawNode"/>s and a network the test drives by hand: nothing happens unless the test ticks
/// a node or delivers messages. The host loop is the one <see cref="Ready"/> documents: persist, then send, then
/// apply, then advance. Every applied entry is checked against what other nodes applied at that index.
/// A node's state machine is the list of entries it applied; a snapshot is a copy of that list's prefix, which the
/// "transport" hands to the receiver of a snapshot message (the bytes beside the message, in ADR 0011's design).
/// </summary>
internal sealed class Cluster
{
    private readonly Func<ulong, RaftConfig> _configFor;
    private readonly Random _random;
    private readonly HashSet<(ulong From, ulong To)> _cutLinks = [];
    private readonly Dictionary<ulong, Entry> _firstApplied = [];
    private readonly Dictionary<(ulong Index, ulong Term), List<Entry>> _snapshotData = [];
    private readonly List<ulong> _ids;

    public Cluster(int size, int seed, Func<RaftConfig, RaftConfig>? configure = null, Func<ulong, IRaftStorage>? storage = null)
    {
        _ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToList();
        Bootstrap = _ids.ToArray();
        _random = new Random(seed);
        _configFor = id =>
        {
            var config = new RaftConfig { Id = id, Peers = Bootstrap, ElectionTick = 10, HeartbeatTick = 1 };
            return configure is null ? config : configure(config);
        };
        foreach (var id in Ids)
        {
            Storages[id] = storage is null ? new MemoryRaftStorage() : storage(id);
            Applied[id] = [];
            Nodes[id] = new RawNode(_configFor(id), Storages[id], new Random(_random.Next()));
        }
    }

    /// <summary>Every node the cluster runs, members or not.</summary>
    public IReadOnlyList<ulong> Ids => _ids;

    /// <summary>The group's bootstrap voters (every node, including ones added later, is created with them).</summary>
    public IReadOnlyList<ulong> Bootstrap { get; }

    /// <summary>The reads each node's host was told it may serve, in order.</summary>
    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = [];

    public Dictionary<ulong, RawNode> Nodes { get; } = [];

    public Dictionary<ulong, IRaftStorage> Storages { get; } = [];

    /// <summary>What each node's state machine applied, in order (restarted nodes apply again from the start).</summary>
    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    /// <summary>Messages sent and not yet delivered or dropped.</summary>
    public List<Message> Network { get; } = [];

    /// <summary>Every message delivered so far, in order.</summary>
    public List<Message> Delivered { get; } = [];

    /// <summary>Messages for which this returns true are dropped at delivery.</summary>
    public Func<Message, bool> Drop { get; set; } = _ => false;

    /// <summary>Rewrites each delivered message (after <see cref="Drop"/>), e.g. to lose some of its entries.</summary>
    public Func<Message, Message> Rewrite { get; set; } = m => m;

    /// <summary>Every entry some node applied, by index (the first application; all others must agree).</summary>
    public IReadOnlyDictionary<ulong, Entry> Committed => _firstApplied;

    public RawNode this[ulong id] => Nodes[id];

    public IEnumerable<RawNode> Leaders => Nodes.Values.Where(n => n.Role == RaftRole.Leader);

    /// <summary>Replaces a node's storage before the cluster starts, to set up a scenario's logs.</summary>
    public void Preload(ulong id, HardState state, params (ulong Index, ulong Term)[] entries)
    {
        var storage = new MemoryRaftStorage();
        storage.Append(entries.Select(e => new Entry(e.Term, e.Index, EntryType.Normal, Bytes($"{e.Index}@{e.Term}"))).ToList());
        storage.SetHardState(state);
        Storages[id] = storage;
        Applied[id] = [];
        Nodes[id] = new RawNode(_configFor(id), storage, new Random(_random.Next()));
    }

    /// <summary>Crash and restart: volatile state is lost, persisted state is kept (everything handed out was persisted).</summary>
    public void Restart(ulong id) => Restart(id, Storages[id]);

    /// <summary>Crash and restart over <paramref name="storage"/>, e.g. a durable log reopened after the crash.</summary>
    public void Restart(ulong id, IRaftStorage storage)
    {
        Storages[id] = storage;
        var snapshot = storage.Snapshot;
        Applied[id] = snapshot.IsEmpty ? [] : [.. _snapshotData[(snapshot.Index, snapshot.Term)]];
        Nodes[id] = new RawNode(_configFor(id), Storages[id], new Random(_random.Next()));
    }

    /// <summary>Starts a new, empty node that is not a member yet (it has the group's bootstrap config, like every node).</summary>
    public RawNode AddNode(ulong id)
    {
        _ids.Add(id);
        Storages[id] = new MemoryRaftStorage();
        Applied[id] = [];
        Nodes[id] = new RawNode(_configFor(id), Storages[id], new Random(_random.Next()));
        return Nodes[id];
    }

    /// <summary>Snapshots node <paramref name="id"/>'s state machine at what it applied, then compacts its log to it.</summary>
    public SnapshotMetadata Compact(ulong id)
    {
        var node = Nodes[id];
        var snapshot = node.SnapshotMetadataAt(node.AppliedIndex);
        _snapshotData.TryAdd((snapshot.Index, snapshot.Term), Applied[id].Take((int)snapshot.Index).ToList());
        if (snapshot.Index > Storages[id].Snapshot.Index)
        {
            Storages[id].CreateSnapshot(snapshot);
        }

        Storages[id].CompactTo(snapshot.Index + 1);
        return snapshot;
    }

    public void Isolate(ulong id)
    {
        foreach (var other in Ids.Where(o => o != id))
        {
            _cutLinks.Add((id, other));
            _cutLinks.Add((other, id));
        }
    }

    /// <summary>Cuts every link between the two sides.</summary>
    public void Partition(IReadOnlyCollection<ulong> side)
    {
        foreach (var a in side)
        {
            foreach (var b in Ids.Where(b => !side.Contains(b)))
            {
                _cutLinks.Add((a, b));
                _cutLinks.Add((b, a));
            }
        }
    }

    public void Heal() => _cutLinks.Clear();

    public bool IsCut(ulong from, ulong to) => _cutLinks.Contains((from, to));

    /// <summary>Runs each node's host loop until no node has a Ready.</summary>
    public void Collect()
    {
        foreach (var id in Ids)
        {
            var node = Nodes[id];
            for (var rounds = 0; node.HasReady; rounds++)
            {
                Assert.True(rounds < 100, $"node {id} keeps producing Ready");
                var ready = node.Ready();
                var storage = Storages[id];
                if (ready.Snapshot is { } snapshot)
                {
                    // Install: the log is replaced and the state machine restored from the bytes that came with it.
                    storage.ApplySnapshot(snapshot);
                    Applied[id] = [.. _snapshotData[(snapshot.Index, snapshot.Term)]];
                }

                storage.Append(ready.Entries);
                if (ready.HardState is { } state)
                {
                    storage.SetHardState(state);
                }

                Network.AddRange(ready.Messages);
                foreach (var entry in ready.CommittedEntries)
                {
                    Apply(id, entry);
                }

                if (ready.ReadStates.Count > 0)
                {
                    // A forwarded read's index may be beyond this node's commit index: the host waits until it applies it.
                    (ReadStates.TryGetValue(id, out var reads) ? reads : ReadStates[id] = []).AddRange(ready.ReadStates);
                }

                node.Advance(ready);
            }
        }
    }

    private void Apply(ulong id, Entry entry)
    {
        var applied = Applied[id];
        Assert.Equal((ulong)applied.Count + 1, entry.Index);
        applied.Add(entry);
        if (_firstApplied.TryGetValue(entry.Index, out var first))
        {
            Assert.True(
                first.Term == entry.Term && first.Data.Span.SequenceEqual(entry.Data.Span),
                $"state machine safety: node {id} applied {entry.Term}/{Text(entry)} at {entry.Index}, another node applied {first.Term}/{Text(first)}");
        }
        else
        {
            _firstApplied[entry.Index] = entry;
            OnFirstApplied?.Invoke(entry);
        }
    }

    /// <summary>Called the first time any node applies an index.</summary>
    public Action<Entry>? OnFirstApplied { get; set; }

    /// <summary>Delivers every message in flight (and what they cause) until the network is quiet.</summary>
    public void Stabilize(int maxRounds = 1000)
    {
        Collect();
        for (var round = 0; Network.Count > 0; round++)
        {
            Assert.True(round < maxRounds, "the cluster did not quiesce");
            DeliverSome(Network.Count);
        }
    }

    /// <summary>Delivers the first <paramref name="count"/> messages in flight, then collects what they caused.</summary>
    public void DeliverSome(int count)
    {
        var batch = Network.Take(count).ToList();
        Network.RemoveRange(0, batch.Count);
        foreach (var message in batch)
        {
            Deliver(message);
        }

        Collect();
    }

    public void Deliver(Message message)
    {
        if (IsCut(message.From, message.To) || Drop(message))
        {
            Lose(message);
            return;
        }

        message = Rewrite(message);
        Delivered.Add(message);
        Nodes[message.To].Step(message);
        if (message.Type == MessageType.Snapshot)
        {
            // The transport streamed the snapshot's bytes and reports it (a real one would report after the stream).
            Nodes[message.From].ReportSnapshot(message.To, delivered: true);
        }
    }

    /// <summary>A message the network lost: a lost snapshot stream is reported to its sender, as a transport would.</summary>
    public void Lose(Message message)
    {
        if (message.Type == MessageType.Snapshot)
        {
            Nodes[message.From].ReportSnapshot(message.To, delivered: false);
        }
    }

    public void TickAll()
    {
        foreach (var node in Nodes.Values)
        {
            node.Tick();
        }

        Collect();
    }

    /// <summary>Ticks and delivers until exactly one node of the current highest term leads; returns it.</summary>
    public RawNode ElectLeader(int maxTicks = 200)
    {
        for (var tick = 0; tick < maxTicks; tick++)
        {
            Stabilize();
            // A leader counts if it reaches a majority and no node it reaches has a newer term.
            var leaders = Leaders
                .Where(l => l.ConfState.Voters.Count(o => o == l.Id || !IsCut(l.Id, o)) > l.ConfState.Voters.Count / 2)
                .Where(l => Ids.All(o => IsCut(l.Id, o) || Nodes[o].Term <= l.Term))
                .ToList();
            if (leaders.Count == 1)
            {
                return leaders[0];
            }

            TickAll();
        }

        throw new Xunit.Sdk.XunitException($"no leader after {maxTicks} ticks: {Describe()}");
    }

    /// <summary>
    /// Liveness once faults have stopped: elects a leader and proposes until one proposal is applied on every member;
    /// returns it, or null after <paramref name="attempts"/> tries. A leader found right after healing may still step
    /// down (check-quorum counts the faulty window) and lose its proposal, hence the retries.
    /// </summary>
    public string? CommitOnEveryNode(int attempts = 10)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var leader = ElectLeader(maxTicks: 500);
            var text = $"final-{attempt}";
            if (!Propose(leader.Id, text).Accepted)
            {
                // A leader handing over (a transfer started during the faults) refuses proposals for a while.
                TickAll();
                continue;
            }

            for (var tick = 0; tick < 30; tick++)
            {
                TickAll();
                Stabilize();
                // Every member of the leader's membership (nodes outside it, e.g. removed ones, are not expected to).
                if (Ids.Where(id => leader.ConfState.Contains(id)).All(id => AppliedTexts(id).Contains(text)))
                {
                    return text;
                }
            }
        }

        return null;
    }

    /// <summary>Each node's role, term, log and membership, for failure messages.</summary>
    public string Describe() => string.Join("; ", Nodes.Values.Select(n =>
        $"{n.Id}: {n.Role} t{n.Term} lead {n.LeaderId} last {n.LastIndex}/{(n.TryTermAt(n.LastIndex, out var t) ? t : 0)} commit {n.CommitIndex} [{n.ConfState}]"));

    public ProposeResult Propose(ulong id, string text)
    {
        var result = Nodes[id].Propose(Bytes(text));
        Collect();
        return result;
    }

    public ProposeResult ProposeConfChange(ulong id, ConfChangeType type, ulong node)
    {
        var result = Nodes[id].ProposeConfChange(new ConfChange(type, node));
        Collect();
        return result;
    }

    /// <summary>Ticks and delivers until every node has applied <paramref name="index"/> (or fails after <paramref name="maxTicks"/>).</summary>
    public void WaitApplied(ulong index, IEnumerable<ulong>? ids = null, int maxTicks = 100)
    {
        var which = (ids ?? Ids).ToList();
        for (var tick = 0; tick < maxTicks; tick++)
        {
            Stabilize();
            if (which.All(id => (ulong)Applied[id].Count >= index))
            {
                return;
            }

            TickAll();
        }

        throw new Xunit.Sdk.XunitException($"index {index} not applied on [{string.Join(", ", which.Where(id => (ulong)Applied[id].Count < index))}] after {maxTicks} ticks");
    }

    public static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(Entry entry) => Encoding.UTF8.GetString(entry.Data.Span);

    /// <summary>The commands a node applied, without no-ops and membership changes.</summary>
    public IEnumerable<string> AppliedTexts(ulong id) => Applied[id].Where(e => e.Type == EntryType.Normal && !e.Data.IsEmpty).Select(Text);
}
