using System.Text;

namespace Cairn.Raft.Tests;

/// <summary>
/// N in-memory <see cref="RawNode"/>s and a network the test drives by hand: nothing happens unless the test ticks
/// a node or delivers messages. The host loop is the one <see cref="Ready"/> documents: persist, then send, then
/// apply, then advance. Every applied entry is checked against what other nodes applied at that index.
/// </summary>
internal sealed class Cluster
{
    private readonly Func<ulong, RaftConfig> _configFor;
    private readonly Random _random;
    private readonly HashSet<(ulong From, ulong To)> _cutLinks = [];
    private readonly Dictionary<ulong, Entry> _firstApplied = [];

    public Cluster(int size, int seed, Func<RaftConfig, RaftConfig>? configure = null, Func<ulong, IRaftStorage>? storage = null)
    {
        Ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToArray();
        _random = new Random(seed);
        _configFor = id =>
        {
            var config = new RaftConfig { Id = id, Peers = Ids, ElectionTick = 10, HeartbeatTick = 1 };
            return configure is null ? config : configure(config);
        };
        foreach (var id in Ids)
        {
            Storages[id] = storage is null ? new MemoryRaftStorage() : storage(id);
            Applied[id] = [];
            Nodes[id] = new RawNode(_configFor(id), Storages[id], new Random(_random.Next()));
        }
    }

    public IReadOnlyList<ulong> Ids { get; }

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
        Applied[id] = [];
        Nodes[id] = new RawNode(_configFor(id), Storages[id], new Random(_random.Next()));
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
            return;
        }

        message = Rewrite(message);
        Delivered.Add(message);
        Nodes[message.To].Step(message);
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
                .Where(l => Ids.Count(o => o == l.Id || !IsCut(l.Id, o)) > Ids.Count / 2)
                .Where(l => Ids.All(o => IsCut(l.Id, o) || Nodes[o].Term <= l.Term))
                .ToList();
            if (leaders.Count == 1)
            {
                return leaders[0];
            }

            TickAll();
        }

        throw new Xunit.Sdk.XunitException($"no leader after {maxTicks} ticks");
    }

    /// <summary>
    /// Liveness once faults have stopped: elects a leader and proposes until one proposal is applied on every node;
    /// returns it, or null after <paramref name="attempts"/> tries. A leader found right after healing may still step
    /// down (check-quorum counts the faulty window) and lose its proposal, hence the retries.
    /// </summary>
    public string? CommitOnEveryNode(int attempts = 10)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var leader = ElectLeader(maxTicks: 500);
            var text = $"final-{attempt}";
            Xunit.Assert.True(Propose(leader.Id, text).Accepted);
            for (var tick = 0; tick < 30; tick++)
            {
                TickAll();
                Stabilize();
                if (Ids.All(id => AppliedTexts(id).Contains(text)))
                {
                    return text;
                }
            }
        }

        return null;
    }

    public ProposeResult Propose(ulong id, string text)
    {
        var result = Nodes[id].Propose(Bytes(text));
        Collect();
        return result;
    }

    public static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(Entry entry) => Encoding.UTF8.GetString(entry.Data.Span);

    public IEnumerable<string> AppliedTexts(ulong id) => Applied[id].Where(e => !e.Data.IsEmpty).Select(Text);
}
