using Cairn.Raft;
using Cairn.Simulation.Checking;
using Cairn.Simulation.Clients;
using Cairn.Simulation.Kv;
using Cairn.Testing;

namespace Cairn.Simulation.World;

/// <summary>
/// A whole cluster in one thread, driven by one seed: a virtual clock and an event queue (ties broken by scheduling
/// order), nodes that tick and exchange messages through <see cref="SimNetwork"/>, clients, and the checkers that run
/// after every event. Every random choice comes from <see cref="Random"/> (or generators seeded from it in a fixed
/// order), nothing reads the wall clock, and no behaviour depends on hash ordering, so a seed replays exactly.
/// </summary>
public sealed class SimulatedWorld
{
    /// <summary>Client endpoint ids start here, clear of node ids.</summary>
    public const int FirstClientId = 1000;

    private readonly PriorityQueue<Action, (long Time, long Order)> _queue = new();
    private readonly List<SimNode> _nodes = [];
    private readonly List<SimClient> _clients = [];
    private readonly List<ulong> _nodeIds = [];
    private long _scheduled;

    public SimulatedWorld(int seed, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Seed = seed;
        Options = options;
        Random = new Random(seed);
        Trace = new TraceLog(options.TraceTail);
        Network = new SimNetwork(this);
        BootstrapPeers = Enumerable.Range(1, options.Nodes).Select(i => (ulong)i).ToArray();
        _nodeIds.AddRange(BootstrapPeers);
        foreach (var id in BootstrapPeers)
        {
            _nodes.Add(new SimNode(this, id, Random.Next()));
        }

        for (var c = 0; c < options.Clients; c++)
        {
            _clients.Add(new SimClient(this, FirstClientId + c));
        }

        foreach (var node in _nodes)
        {
            node.Start();
            var phase = Random.NextInt64(options.TickInterval);
            Schedule(phase, "tick-start", node.Id, 0, 0, null, () => TickLoop(node));
        }
    }

    public int Seed { get; }

    public SimulationOptions Options { get; }

    /// <summary>The run's one source of randomness.</summary>
    public Random Random { get; }

    /// <summary>Virtual time in microseconds.</summary>
    public long Now { get; private set; }

    public TraceLog Trace { get; }

    public SimNetwork Network { get; }

    public History History { get; } = new();

    public RaftInvariantChecker Invariants { get; } = new();

    public ConvergenceChecker Convergence { get; } = new();

    /// <summary>Every node's id, including nodes added after the start (<see cref="AddNode"/>).</summary>
    public IReadOnlyList<ulong> NodeIds => _nodeIds;

    /// <summary>The group's bootstrap voters, the nodes the world started with; a node added later is created with them too.</summary>
    public IReadOnlyList<ulong> BootstrapPeers { get; }

    public IReadOnlyList<SimNode> Nodes => _nodes;

    public IReadOnlyList<SimClient> Clients => _clients;

    /// <summary>When set, a node that stops is restarted after a random delay (the nemesis sets it during its window).</summary>
    public bool AutoRestart { get; set; }

    public long EventsRun { get; private set; }

    public SimNode Node(ulong id) => _nodes[(int)id - 1];

    /// <summary>The running leader of the highest term, if any.</summary>
    public SimNode? Leader => _nodes.Where(n => n.IsLeader).OrderByDescending(n => n.Raft!.Term).FirstOrDefault();

    /// <summary>Schedules <paramref name="action"/> after <paramref name="delay"/>; its trace record is written when it runs.</summary>
    public void Schedule(long delay, string kind, ulong node, ulong peer, ulong detailHash, object? detail, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        var quiet = kind.StartsWith("tick", StringComparison.Ordinal);
        _queue.Enqueue(
            () =>
            {
                if (quiet)
                {
                    Trace.RecordQuietly(Now, kind, node, peer, detailHash);
                }
                else
                {
                    Trace.Record(Now, kind, node, peer, detailHash, detail);
                }

                action();
            },
            (Now + delay, _scheduled++));
    }

    /// <summary>Runs the next event; false when nothing is scheduled.</summary>
    public bool Step()
    {
        if (!_queue.TryDequeue(out var action, out var at))
        {
            return false;
        }

        Now = at.Time;
        EventsRun++;
        action();
        return true;
    }

    public void RunFor(long duration) => RunUntil(() => false, duration);

    /// <summary>Runs events until <paramref name="condition"/> holds (checked after each) or <paramref name="timeout"/> passes.</summary>
    public bool RunUntil(Func<bool> condition, long timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = Now + timeout;
        while (!condition())
        {
            if (!_queue.TryPeek(out _, out var next) || next.Time > deadline)
            {
                Now = Math.Max(Now, deadline);
                return condition();
            }

            Step();
        }

        return true;
    }

    public void StartClients()
    {
        foreach (var client in _clients)
        {
            client.Active = true;
            if (client.Idle)
            {
                client.ScheduleNext();
            }
        }
    }

    public void StopClients()
    {
        foreach (var client in _clients)
        {
            client.Active = false;
        }
    }

    /// <summary>
    /// Starts a new node with an empty disk (the next id), not yet a member: it waits, never campaigning, until a
    /// leader's log or snapshot makes it one (propose <see cref="ConfChangeType.AddLearner"/> for it).
    /// </summary>
    public SimNode AddNode()
    {
        var node = new SimNode(this, (ulong)_nodes.Count + 1, Random.Next());
        _nodes.Add(node);
        _nodeIds.Add(node.Id);
        node.Start();
        Schedule(Random.NextInt64(Options.TickInterval), "tick-start", node.Id, 0, 0, null, () => TickLoop(node));
        return node;
    }

    /// <summary>Proposes a membership change at a node (a leader accepts it once its previous change committed).</summary>
    public ProposeResult ProposeConfChange(ulong id, ConfChange change)
    {
        var result = ProposeResult.NotLeader(0);
        Node(id).Run(() => result = Node(id).Raft!.ProposeConfChange(change));
        return result;
    }

    public void Kill(ulong id, CrashMode mode = CrashMode.DropUnsynced) => Node(id).Kill(mode);

    public void Restart(ulong id) => Node(id).Start();

    /// <summary>Proposes straight at a node, bypassing clients (for scenarios that watch a single entry).</summary>
    public ProposeResult Propose(ulong id, KvCommand command)
    {
        var result = ProposeResult.NotLeader(0);
        Node(id).Run(() => result = Node(id).Raft!.Propose(command.Encode()));
        return result;
    }

    internal void SendRaft(Message message)
    {
        var detailHash = StableHash.Combine(
            StableHash.Combine((ulong)message.Type, message.Term, message.Index),
            StableHash.Combine(message.LogTerm, message.Commit, (ulong)message.Entries.Count),
            message.Reject ? 1UL : 0UL);
        if (message.Type == MessageType.Snapshot && message.Snapshot is { } snapshot)
        {
            // The snapshot's bytes travel beside the message: read from the sender's store now, installed on arrival,
            // and the sender hears whether it got there once it would have.
            var sender = Node(message.From);
            var data = sender.ReadSnapshotData(snapshot);
            var mirror = sender.Mirror;
            Network.Send(message.From, message.To, "raft", detailHash, message, () =>
            {
                var node = Node(message.To);
                node.IncomingSnapshot = (data, mirror);
                node.Run(() => node.Raft!.Step(message));
                node.IncomingSnapshot = null;
                var delivered = node.Status == NodeStatus.Up;
                sender.Run(() => sender.Raft!.ReportSnapshot(message.To, delivered));
            },
            lost: () => sender.Run(() => sender.Raft!.ReportSnapshot(message.To, delivered: false)));
            return;
        }

        Network.Send(message.From, message.To, "raft", detailHash, message, () =>
        {
            var node = Node(message.To);
            node.Run(() => node.Raft!.Step(message));
        });
    }

    internal void SendToNode(ulong client, ulong node, ClientRequest request) =>
        Network.Send(client, node, "request", (ulong)request.Command.OpId, request.Command, () => Node(node).HandleRequest(request));

    internal void SendToClient(ulong node, int client, ClientReply reply) =>
        Network.Send(node, (ulong)client, "reply", (ulong)reply.Seq, reply, () => _clients[client - FirstClientId].OnReply(node, reply));

    internal void OnNodeStopped(SimNode node)
    {
        if (AutoRestart)
        {
            var delay = 20_000 + Random.NextInt64(400_000);
            Schedule(delay, "restart", node.Id, 0, 0, null, node.Start);
        }
    }

    private void TickLoop(SimNode node)
    {
        node.Run(() => node.Raft!.Tick());
        Schedule(Options.TickInterval, "tick", node.Id, 0, 0, null, () => TickLoop(node));
    }
}
