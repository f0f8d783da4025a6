using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Cairn.Kv.Replication;
using Cairn.Kv.Server;
using Cairn.Meta;
using Cairn.Meta.Protocol;
using Cairn.Raft.Hosting;
using Cairn.Rpc;
using Cairn.Storage;
using Cairn.Storage.LogStore;

namespace Cairn.Cli.Node;

/// <summary>
/// One running cluster node: its Raft host (the control group and the shard groups it holds replicas of, sharing
/// one log and one connection per peer), its keyspace over the shard groups it leads, and its RESP front end in
/// cluster mode. The first start of the cluster bootstraps it: whichever meta node first leads the control group
/// proposes the layout every node computed from the shared member list (a second proposal is refused as "already
/// bootstrapped"), so no node is special and no further command is needed.
/// </summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private readonly NodeSettings _settings;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ShardStateMachine> _machines = [];
    private readonly ConcurrentBag<Task> _background = [];
    private readonly ConcurrentDictionary<(ulong Group, ulong Term), bool> _handOffs = new();
    private SharedRaftLog? _raftLog;
    private RpcServer? _rpc;
    private RpcRaftTransport? _transport;
    private RaftHost? _host;
    private ReplicatedKvBackend? _backend;
    private RespServer? _resp;

    public ClusterNode(NodeSettings settings, Action<string>? log = null)
    {
        _settings = settings;
        _log = log ?? (message => Console.Error.WriteLine(message));
        Router = new ClusterRouter(settings.NodeId);
        Layout = InitialLayout.Compute(settings.Members, settings.Replication, settings.ShardGroups);
    }

    public ClusterRouter Router { get; }

    public InitialLayout Layout { get; }

    public ControlStateMachine Control { get; } = new();

    public RaftHost Host => _host ?? throw new InvalidOperationException("The node is not started.");

    public IPEndPoint? RespEndPoint => _resp?.LocalEndPoint;

    /// <summary>Why the node stopped on its own, or null while it runs.</summary>
    public Exception? Failure => _host?.Failure;

    public void Start()
    {
        var self = _settings.Self;
        var dataDir = _settings.DataDirectory;
        Directory.CreateDirectory(dataDir);
        var rpcOptions = new RpcOptions { NodeId = self.NodeId.ToString(CultureInfo.InvariantCulture), ClusterSecret = _settings.ClusterSecret };
        var addresses = _settings.Members.ToDictionary(m => m.NodeId, m => (EndPoint)new IPEndPoint(Resolve(m.Host), m.RaftPort));

        _raftLog = SharedRaftLog.Open(Path.Combine(dataDir, "raft"), new LogStoreOptions { Sync = _settings.Sync });
        _transport = new RpcRaftTransport(self.NodeId, addresses, rpcOptions);
        _host = new RaftHost(
            new RaftHostOptions
            {
                NodeId = self.NodeId,
                TickInterval = TimeSpan.FromMilliseconds(_settings.TickMs),
                SnapshotEntries = _settings.SnapshotEntries,
            },
            _raftLog,
            _transport);

        Control.StateChanged += Router.Update;
        if (Layout.ControlVoters.Contains(self.NodeId))
        {
            _host.AddGroup(InitialLayout.ControlGroupId, Layout.ControlVoters, Control);
        }

        // The first start takes the layout's groups; later starts the groups this node's log holds (placement
        // may have moved replicas since), and the placement loop then follows the control group.
        var kvDir = Path.Combine(dataDir, "kv");
        var stored = _raftLog.StoredGroups().Where(g => g != InitialLayout.ControlGroupId).ToHashSet();
        var firstStart = _raftLog.StoredGroups().Count == 0;
        foreach (var (groupId, replicas) in Layout.ShardGroups)
        {
            if (firstStart ? replicas.Contains(self.NodeId) : stored.Remove(groupId))
            {
                var machine = ReplicaPlacement.OpenMachine(kvDir, groupId);
                _machines.Add(machine);
                _host.AddGroup(groupId, replicas, machine); // the group's first voters: its log replays from them
            }
        }

        _backend = new ReplicatedKvBackend(_host, _machines, Router.GroupOf, Router, log: _log);
        Router.Backend = _backend;
        var router = new RpcRouter();
        _transport.MapInbound(router, _host);
        var control = new ControlClient(_host, _transport);
        control.Map(router);
        var mover = new SlotMover(self.NodeId, _backend, _transport, () => Control.State);
        mover.Map(router);
        _rpc = new RpcServer(rpcOptions, router);
        _transport.Attach(_rpc);
        _rpc.Start(new IPEndPoint(IPAddress.Parse(_settings.BindAddress), self.RaftPort));

        Router.IsConnected = _transport.IsConnected;
        _backend.LeaderReady += (group, term) => _background.Add(ReportLeaderAsync(control, group, term));
        _backend.BeforeServing = (group, term) => !HandOff(group, term);
        _host.Start();
        _backend.Start();

        _resp = new RespServer(_backend, new KvServerOptions { BindAddress = _settings.BindAddress, Port = self.RespPort, Cluster = Router, Admin = args => Admin(control, args) }, _log);
        _resp.Start();
        _background.Add(BootstrapAsync(control));
        _background.Add(BalanceLeadersAsync());
        var placement = new ReplicaPlacement(self.NodeId, _host, _backend, _transport, control, Layout, kvDir, addresses.Keys, _log);
        var scheduler = new PlacementScheduler(control, _settings.Replication, _settings.DownAfter, TimeProvider.System, _log);
        _background.Add(EveryAsync(TimeSpan.FromMilliseconds(300), "placement", ct => placement.ReconcileAsync(Control.State, ct)));
        _background.Add(EveryAsync(TimeSpan.FromSeconds(1), "scheduler", async ct =>
        {
            if (Control.State.IsBootstrapped && (await Host.StatusAsync(InitialLayout.ControlGroupId)).Role == Cairn.Raft.RaftRole.Leader)
            {
                await scheduler.RunOnceAsync(Control.State, ct);
            }
        }));
        var coordinator = new MigrationCoordinator(control, mover, () => Control.State, _log);
        _background.Add(EveryAsync(TimeSpan.FromMilliseconds(200), "migration", async ct =>
        {
            if (Control.State.Migrations.Count > 0 && (await Host.StatusAsync(InitialLayout.ControlGroupId)).Role == Cairn.Raft.RaftRole.Leader)
            {
                await coordinator.RunOnceAsync(ct);
            }
        }));
        _background.Add(EveryAsync(TimeSpan.FromMilliseconds(300), "hand-over", ct =>
            _backend.SettleHandoversAsync((group, slot, kind, epoch) => HandoverRules.Decide(Control.State, group, slot, kind, epoch), ct)));
        _background.Add(EveryAsync(TimeSpan.FromSeconds(2), "heartbeat", async ct =>
        {
            if (Control.State.IsBootstrapped)
            {
                await control.ProposeAsync(MetaCommands.Heartbeat(_settings.NodeId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ct);
            }
        }));
    }

    /// <summary>
    /// <c>CAIRN.ADMIN</c>: <c>DRAIN id</c> (the scheduler moves the node's replicas and leaderships away),
    /// <c>UNDRAIN id</c>, <c>REMOVE id</c> (once it holds no replica), <c>PLACEMENT</c> (nodes and groups as the
    /// control group records them).
    /// </summary>
    private string Admin(ControlClient control, IReadOnlyList<string> args)
    {
        var verb = args[0].ToUpperInvariant();
        if (verb == "PLACEMENT")
        {
            return Placement(Control.State);
        }

        if (SlotAdmin.Handles(verb))
        {
            using var slotTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            slotTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            return SlotAdmin.Run(verb, args, Control.State, control, _settings.Replication, slotTimeout.Token);
        }

        if (args.Count != 2 || !ulong.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var nodeId) || nodeId == 0)
        {
            throw new ArgumentException($"usage: CAIRN.ADMIN DRAIN|UNDRAIN|REMOVE <node id> | PLACEMENT | SLOTS <group> | MOVESLOTS <from> <to> <slots> | PLAN | REBALANCE (got '{string.Join(' ', args)}')");
        }

        var command = verb switch
        {
            "DRAIN" => MetaCommands.DrainNode(nodeId),
            "UNDRAIN" => MetaCommands.MarkNodeUp(nodeId),
            "REMOVE" => MetaCommands.RemoveNode(nodeId),
            _ => throw new ArgumentException($"unknown CAIRN.ADMIN verb '{args[0]}'; try DRAIN, UNDRAIN, REMOVE or PLACEMENT"),
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var reply = control.ProposeAsync(command, timeout.Token).GetAwaiter().GetResult();
        return reply.Status switch
        {
            MetaStatus.Ok => $"OK: {verb.ToLowerInvariant()} node {nodeId}",
            MetaStatus.AlreadyApplied => $"OK: node {nodeId} already {verb.ToLowerInvariant()}ed",
            _ => throw new InvalidOperationException(reply.Error),
        };
    }

    /// <summary>The control group's nodes and groups, one line each.</summary>
    internal static string Placement(ClusterState state)
    {
        var text = new System.Text.StringBuilder();
        foreach (var node in state.Nodes.Values)
        {
            var replicas = state.Groups.Values.Count(g => g.HasReplica(node.Id));
            var leads = state.Groups.Values.Count(g => g.LeaderHint == node.Id);
            text.Append(CultureInfo.InvariantCulture, $"node {node.Id} {node.State.ToString().ToLowerInvariant()} {node.ClientAddress} replicas={replicas} leads={leads}\n");
        }

        foreach (var group in state.Groups.Values)
        {
            text.Append(CultureInfo.InvariantCulture, $"group {group.Id} voters={string.Join(',', group.Voters)} learners={string.Join(',', group.Learners)} leader={group.LeaderHint} slots={state.SlotCount(group.Id)}\n");
        }

        return text.ToString();
    }

    /// <summary>Runs <paramref name="work"/> every <paramref name="interval"/> until the node stops, logging what fails.</summary>
    private async Task EveryAsync(TimeSpan interval, string name, Func<CancellationToken, Task> work)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token);
                await work(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or RpcException or KeyNotFoundException or ObjectDisposedException or ReplicationFailedException)
            {
                if (!_stop.IsCancellationRequested)
                {
                    _log($"{name}: {e.Message}");
                }
            }
        }
    }

    /// <summary>Waits until every slot is served by a group with a known leader (<c>cluster_state:ok</c>).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (!Router.Topology().StateOk)
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_resp is not null)
        {
            await _resp.DisposeAsync();
        }

        _backend?.Dispose();
        _host?.Dispose();
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Shutting down: a background loop that failed as the host went away has nothing left to report.
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        if (_rpc is not null)
        {
            await _rpc.DisposeAsync();
        }

        _raftLog?.Dispose();
        if (_backend is not null)
        {
            foreach (var groupId in _backend.Groups.ToList())
            {
                _backend.RemoveReplica(groupId)?.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task BootstrapAsync(ControlClient control)
    {
        var command = Layout.Bootstrap(_settings.ClusterId, _settings.Members);
        while (!_stop.IsCancellationRequested && !Control.State.IsBootstrapped)
        {
            try
            {
                var status = await Host.StatusAsync(InitialLayout.ControlGroupId);
                if (status.Role == Cairn.Raft.RaftRole.Leader)
                {
                    var reply = await control.ProposeAsync(command, _stop.Token);
                    if (reply.Status is not (MetaStatus.Ok or MetaStatus.AlreadyApplied))
                    {
                        _log($"cluster bootstrap refused: {reply.Error}");
                        return;
                    }

                    _log($"bootstrapped cluster '{_settings.ClusterId}': {Layout.ShardGroups.Count} shard groups over {_settings.Members.Count} nodes");
                }
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException)
            {
                // Not leader after all, or leadership moved: look again.
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Hands <paramref name="group"/>, led here in <paramref name="term"/>, to its preferred leader if that is another
    /// up voter of it and this term has not tried yet; returns whether a transfer started. Asked before this node
    /// serves a group (so at startup clients meet the final leaders, not a hand-off under load) and periodically.
    /// </summary>
    private bool HandOff(ulong group, ulong term)
    {
        if (!Layout.PreferredLeaders.TryGetValue(group, out var preferred) || preferred == _settings.NodeId)
        {
            return false;
        }

        var state = Control.State;
        if (state.IsBootstrapped && (state.GroupOrNull(group) is not { } record || !record.Voters.Contains(preferred) || state.NodeOrNull(preferred)?.State != NodeState.Up))
        {
            return false; // no preference while the preferred node is not an up voter of the group
        }

        if (!state.IsBootstrapped && !_settings.Members.Any(m => m.NodeId == preferred))
        {
            return false;
        }

        if (!_handOffs.TryAdd((group, term), true))
        {
            return false; // tried in this term already: a dead preferred node costs one pause, not one per round
        }

        _log($"shard group {group}: handing leadership to its preferred leader, node {preferred}");
        Host.TransferLeadership(group, preferred);
        return true;
    }

    /// <summary>
    /// Hands each group this node leads to its preferred leader (<see cref="InitialLayout.PreferredLeaders"/>), once
    /// per term: elections pick leaders at random, and a node that led everything would serve all the traffic. A
    /// transfer to a node that is down times out and this node stays leader for the term; it is not retried until
    /// the next term, so a dead preferred node costs one short pause, not a pause every round.
    /// </summary>
    private async Task BalanceLeadersAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_settings.TickMs * 20L), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var group in Layout.PreferredLeaders.Keys)
            {
                if (_backend is { } backend && backend.Serves(group))
                {
                    HandOff(group, backend.TermOf(group));
                }
            }
        }
    }

    /// <summary>Records in the control group that this node now leads <paramref name="group"/>, so every node routes to it.</summary>
    private async Task ReportLeaderAsync(ControlClient control, ulong group, ulong term)
    {
        for (var attempt = 0; attempt < 100 && !_stop.IsCancellationRequested; attempt++)
        {
            try
            {
                if (Control.State.IsBootstrapped)
                {
                    var reply = await control.ProposeAsync(MetaCommands.SetLeaderHint(group, _settings.NodeId, term), _stop.Token);
                    if (reply.Status is MetaStatus.Ok or MetaStatus.AlreadyApplied)
                    {
                        return;
                    }

                    _log($"shard group {group}: leader hint refused: {reply.Error}");
                    return;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or RpcException)
            {
                // No control leader yet, or it moved: try again shortly.
            }

            try
            {
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        return Dns.GetHostAddresses(host).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
    }
}
