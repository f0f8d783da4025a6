using System.Net;
using Cairn.Kv.Replication;
using Cairn.Meta;
using Cairn.Raft;
using Cairn.Raft.Hosting;
using Cairn.Storage;
using Cairn.Storage.LogStore;

namespace Cairn.Cli.Node;

/// <summary>
/// Makes this node follow the control group's placement (ADR 0022). The control group says which nodes hold a
/// replica of each shard group; Raft membership and local replicas follow it:
/// <list type="bullet">
/// <item>a node named as a replica it does not hold opens the group (empty, waiting for its leader) and serves it;</item>
/// <item>a group's leader adds a learner the control group names, promotes it in Raft once the control group
/// promoted it, proposes that promotion itself once the learner has caught up, and removes members the control
/// group no longer names (handing leadership away first if it is the one leaving);</item>
/// <item>a node no longer named drops its replica once the group removed it (or a grace period passed), deleting
/// its data.</item>
/// </list>
/// Every step is idempotent and re-derived from the current state each round, so a crash anywhere resumes.
/// </summary>
internal sealed class ReplicaPlacement
{
    private static readonly TimeSpan DropGrace = TimeSpan.FromSeconds(10);

    private readonly ulong _self;
    private readonly RaftHost _host;
    private readonly ReplicatedKvBackend _backend;
    private readonly RpcRaftTransport _transport;
    private readonly ControlClient _control;
    private readonly InitialLayout _layout;
    private readonly string _kvDirectory;
    private readonly Action<string> _log;
    private readonly HashSet<ulong> _knownPeers = [];
    private readonly Dictionary<ulong, DateTime> _unnamedSince = [];

    public ReplicaPlacement(ulong self, RaftHost host, ReplicatedKvBackend backend, RpcRaftTransport transport, ControlClient control, InitialLayout layout, string kvDirectory, IEnumerable<ulong> knownPeers, Action<string> log)
    {
        _self = self;
        _host = host;
        _backend = backend;
        _transport = transport;
        _control = control;
        _layout = layout;
        _kvDirectory = kvDirectory;
        _log = log;
        _knownPeers.UnionWith(knownPeers);
    }

    /// <summary>Opens a shard group's local engine and state machine.</summary>
    public static ShardStateMachine OpenMachine(string kvDirectory, ulong groupId) =>
        new(groupId, LogStore.Open(Path.Combine(kvDirectory, $"g{groupId}"), new LogStoreOptions { Sync = SyncPolicy.None }));

    /// <summary>One round: peers, replicas to take, replicas to drop, and the duties of the groups this node leads.</summary>
    public async Task ReconcileAsync(ClusterState state, CancellationToken cancellationToken)
    {
        if (!state.IsBootstrapped)
        {
            return;
        }

        foreach (var node in state.Nodes.Values)
        {
            if (node.Id != _self && node.State != NodeState.Removed && _knownPeers.Add(node.Id) && TryParse(node.RaftAddress, out var address))
            {
                _transport.AddPeer(node.Id, address);
                _log($"peer {node.Id} at {node.RaftAddress} added");
            }
        }

        foreach (var group in state.Groups.Values)
        {
            if (group.HasReplica(_self) && !_backend.Hosts(group.Id))
            {
                await TakeAsync(group);
            }
        }

        foreach (var groupId in _backend.Groups.ToList())
        {
            if (state.GroupOrNull(groupId) is { } group && group.HasReplica(_self))
            {
                _unnamedSince.Remove(groupId);
                if (_backend.Serves(groupId))
                {
                    await LeadAsync(group, cancellationToken);
                }
            }
            else
            {
                await MaybeDropAsync(groupId);
            }
        }
    }

    private async Task TakeAsync(ShardGroup group)
    {
        // The group's first voters, as at its log's start, so a log replayed from there rebuilds its membership
        // (the same list a restart passes). The node waits for the leader to add it and send it the state; if it
        // was one of the first voters, removed since, it cannot win an election with its empty log meanwhile.
        var peers = _layout.ShardGroups.TryGetValue(group.Id, out var first) ? first : [.. group.Voters];

        var directory = Path.Combine(_kvDirectory, $"g{group.Id}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true); // left by a replica this node held before: the leader resends all
        }

        var machine = OpenMachine(_kvDirectory, group.Id);
        try
        {
            await _host.AddGroupAsync(group.Id, peers, machine);
        }
        catch
        {
            machine.Dispose();
            throw;
        }

        _backend.AddReplica(machine);
        _log($"shard group {group.Id}: took a replica; waiting for the leader's snapshot");
    }

    private async Task MaybeDropAsync(ulong groupId)
    {
        var now = DateTime.UtcNow;
        if (!_unnamedSince.TryGetValue(groupId, out var since))
        {
            _unnamedSince[groupId] = since = now;
        }

        var status = await _host.StatusAsync(groupId);
        var stillMember = status.Membership?.Members.Contains(_self) ?? true;
        if (stillMember && now - since < DropGrace)
        {
            return; // the leader has not removed this replica yet
        }

        var machine = _backend.RemoveReplica(groupId);
        try
        {
            await _host.RemoveGroupAsync(groupId);
        }
        catch (InvalidOperationException)
        {
            if (machine is not null)
            {
                _backend.AddReplica(machine); // a snapshot is in flight: next round
            }

            return;
        }

        machine?.Dispose();
        _unnamedSince.Remove(groupId);
        var directory = Path.Combine(_kvDirectory, $"g{groupId}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        _log($"shard group {groupId}: replica dropped");
    }

    /// <summary>The leader makes the group's Raft membership follow the control group, one change at a time.</summary>
    private async Task LeadAsync(ShardGroup group, CancellationToken cancellationToken)
    {
        var status = await _host.StatusAsync(group.Id);
        if (status.Role != RaftRole.Leader || status.Membership is not { } raft)
        {
            return;
        }

        try
        {
            foreach (var learner in group.Learners)
            {
                if (!raft.Members.Contains(learner))
                {
                    _log($"shard group {group.Id}: adding learner {learner}");
                    await _host.ProposeConfChangeAsync(group.Id, new ConfChange(ConfChangeType.AddLearner, learner), cancellationToken);
                    return;
                }

                if (raft.Learners.Contains(learner) && status.Matched is { } matched && matched.GetValueOrDefault(learner) >= status.Commit)
                {
                    _log($"shard group {group.Id}: learner {learner} caught up; promoting it");
                    await _control.ProposeAsync(MetaCommands.PromoteLearner(group.Id, learner), cancellationToken);
                    return;
                }
            }

            foreach (var voter in group.Voters)
            {
                if (raft.Learners.Contains(voter))
                {
                    await _host.ProposeConfChangeAsync(group.Id, new ConfChange(ConfChangeType.AddVoter, voter), cancellationToken);
                    return;
                }
            }

            foreach (var member in raft.Members)
            {
                if (group.HasReplica(member))
                {
                    continue;
                }

                if (member == _self)
                {
                    var to = group.Voters.FirstOrDefault(v => raft.Voters.Contains(v) && status.Matched?.GetValueOrDefault(v) >= status.Commit);
                    if (to != 0)
                    {
                        _log($"shard group {group.Id}: this node leaves the group; handing leadership to node {to}");
                        _host.TransferLeadership(group.Id, to);
                    }

                    return;
                }

                _log($"shard group {group.Id}: removing member {member}");
                await _host.ProposeConfChangeAsync(group.Id, new ConfChange(ConfChangeType.RemoveNode, member), cancellationToken);
                return;
            }
        }
        catch (InvalidOperationException e)
        {
            _log($"shard group {group.Id}: membership change waits: {e.Message}"); // one in flight, or leadership moved
        }
    }

    private static bool TryParse(string address, out EndPoint endPoint)
    {
        endPoint = null!;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port))
        {
            return false;
        }

        var host = address[..colon];
        var ip = IPAddress.TryParse(host, out var parsed) ? parsed : Dns.GetHostAddresses(host).FirstOrDefault();
        if (ip is null)
        {
            return false;
        }

        endPoint = new IPEndPoint(ip, port);
        return true;
    }
}
