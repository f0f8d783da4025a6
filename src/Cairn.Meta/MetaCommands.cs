using Cairn.Meta.Protocol;

namespace Cairn.Meta;

/// <summary>Builds the control group's commands, so callers need not assemble protobuf messages by hand.</summary>
public static class MetaCommands
{
    /// <summary>A node's announcement.</summary>
    public static NodeSpec Node(ulong id, string raftAddress, string clientAddress = "", NodeRoles roles = NodeRoles.All, string failureDomain = "") =>
        new() { Id = id, RaftAddress = raftAddress, ClientAddress = clientAddress, Roles = (uint)roles, FailureDomain = failureDomain };

    /// <summary>A group with its first voters.</summary>
    public static GroupSpec Group(ulong id, params ulong[] voters)
    {
        var spec = new GroupSpec { Id = id };
        spec.Voters.AddRange(voters);
        return spec;
    }

    /// <summary>Creates the cluster with its first nodes (up) and groups; slots are spread evenly over the groups.</summary>
    public static MetaCommand Bootstrap(string clusterId, IEnumerable<NodeSpec> nodes, IEnumerable<GroupSpec> groups)
    {
        var command = new Bootstrap { ClusterId = clusterId };
        command.Nodes.AddRange(nodes);
        command.Groups.AddRange(groups);
        return new MetaCommand { Bootstrap = command };
    }

    /// <summary>Adds a node in the joining state.</summary>
    public static MetaCommand AddNode(NodeSpec node) => new() { AddNode = new AddNode { Node = node } };

    /// <summary>Marks a joining (or draining) node up.</summary>
    public static MetaCommand MarkNodeUp(ulong nodeId) => new() { MarkNodeUp = new MarkNodeUp { NodeId = nodeId } };

    /// <summary>Starts draining a node.</summary>
    public static MetaCommand DrainNode(ulong nodeId) => new() { DrainNode = new DrainNode { NodeId = nodeId } };

    /// <summary>Removes a node that holds no replicas.</summary>
    public static MetaCommand RemoveNode(ulong nodeId) => new() { RemoveNode = new RemoveNode { NodeId = nodeId } };

    /// <summary>Creates a group that owns no slots yet.</summary>
    public static MetaCommand CreateGroup(GroupSpec group) => new() { CreateGroup = new CreateGroup { Group = group } };

    /// <summary>Adds a learner to a group.</summary>
    public static MetaCommand AddLearner(ulong groupId, ulong nodeId) => new() { AddLearner = new AddLearner { GroupId = groupId, NodeId = nodeId } };

    /// <summary>Promotes a group's learner to voter.</summary>
    public static MetaCommand PromoteLearner(ulong groupId, ulong nodeId) => new() { PromoteLearner = new PromoteLearner { GroupId = groupId, NodeId = nodeId } };

    /// <summary>Removes a voter or learner from a group.</summary>
    public static MetaCommand RemoveReplica(ulong groupId, ulong nodeId) => new() { RemoveReplica = new RemoveReplica { GroupId = groupId, NodeId = nodeId } };

    /// <summary>Records a group's leader as of a Raft term.</summary>
    public static MetaCommand SetLeaderHint(ulong groupId, ulong nodeId, ulong term) =>
        new() { SetLeaderHint = new SetLeaderHint { GroupId = groupId, NodeId = nodeId, Term = term } };

    /// <summary>Gives unowned slots to a group.</summary>
    public static MetaCommand AssignSlots(ulong groupId, IEnumerable<int> slots)
    {
        var command = new AssignSlots { GroupId = groupId };
        command.Slots.AddRange(slots.Select(s => (uint)s));
        return new MetaCommand { AssignSlots = command };
    }

    /// <summary>Starts moving a slot, as decided at its epoch <paramref name="expectedSlotEpoch"/>.</summary>
    public static MetaCommand BeginMigration(int slot, ulong sourceGroup, ulong targetGroup, ulong expectedSlotEpoch) =>
        new() { BeginMigration = new BeginMigration { Slot = (uint)slot, SourceGroup = sourceGroup, TargetGroup = targetGroup, ExpectedSlotEpoch = expectedSlotEpoch } };

    /// <summary>Fences writes to a migrating slot.</summary>
    public static MetaCommand FenceMigration(int slot, ulong targetGroup, ulong expectedSlotEpoch) =>
        new() { FenceMigration = new FenceMigration { Slot = (uint)slot, TargetGroup = targetGroup, ExpectedSlotEpoch = expectedSlotEpoch } };

    /// <summary>Commits a fenced migration: the target owns the slot.</summary>
    public static MetaCommand CommitMigration(int slot, ulong targetGroup, ulong expectedSlotEpoch) =>
        new() { CommitMigration = new CommitMigration { Slot = (uint)slot, TargetGroup = targetGroup, ExpectedSlotEpoch = expectedSlotEpoch } };

    /// <summary>Aborts a migration: the source keeps the slot.</summary>
    public static MetaCommand AbortMigration(int slot, ulong targetGroup, ulong expectedSlotEpoch) =>
        new() { AbortMigration = new AbortMigration { Slot = (uint)slot, TargetGroup = targetGroup, ExpectedSlotEpoch = expectedSlotEpoch } };

    /// <summary>A node was alive at <paramref name="atMs"/> (Unix ms, the proposer's clock).</summary>
    public static MetaCommand Heartbeat(ulong nodeId, long atMs) => new() { NodeHeartbeat = new NodeHeartbeat { NodeId = nodeId, AtMs = atMs } };
}
