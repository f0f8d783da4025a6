using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Meta.Protocol;

namespace Cairn.Meta;

/// <summary>
/// What each control command does to a <see cref="ClusterState"/>: a pure function from a state and a command to
/// the next state and a reply. A refused command returns the state unchanged with a reply that says why. Epoch
/// rules (docs/decisions/0019): every change of a slot's owner or migration phase bumps the cluster epoch and
/// sets the slot's epoch to it; nothing else touches epochs.
/// </summary>
internal static class ControlTransitions
{
    public static (ClusterState State, MetaReply Reply) Apply(ClusterState state, MetaCommand command, ControlLimits limits)
    {
        if (command.CommandCase != MetaCommand.CommandOneofCase.Bootstrap
            && command.CommandCase != MetaCommand.CommandOneofCase.None
            && !state.IsBootstrapped)
        {
            return Refuse(state, MetaStatus.NotBootstrapped, "The cluster is not bootstrapped yet; bootstrap it first.");
        }

        return command.CommandCase switch
        {
            MetaCommand.CommandOneofCase.Bootstrap => Bootstrap(state, command.Bootstrap, limits),
            MetaCommand.CommandOneofCase.AddNode => AddNode(state, command.AddNode, limits),
            MetaCommand.CommandOneofCase.MarkNodeUp => MarkNodeUp(state, command.MarkNodeUp),
            MetaCommand.CommandOneofCase.DrainNode => DrainNode(state, command.DrainNode),
            MetaCommand.CommandOneofCase.RemoveNode => RemoveNode(state, command.RemoveNode),
            MetaCommand.CommandOneofCase.CreateGroup => CreateGroup(state, command.CreateGroup, limits),
            MetaCommand.CommandOneofCase.AddLearner => AddLearner(state, command.AddLearner, limits),
            MetaCommand.CommandOneofCase.PromoteLearner => PromoteLearner(state, command.PromoteLearner),
            MetaCommand.CommandOneofCase.RemoveReplica => RemoveReplica(state, command.RemoveReplica),
            MetaCommand.CommandOneofCase.SetLeaderHint => SetLeaderHint(state, command.SetLeaderHint),
            MetaCommand.CommandOneofCase.AssignSlots => AssignSlots(state, command.AssignSlots),
            MetaCommand.CommandOneofCase.BeginMigration => BeginMigration(state, command.BeginMigration, limits),
            MetaCommand.CommandOneofCase.FenceMigration => FenceMigration(state, command.FenceMigration),
            MetaCommand.CommandOneofCase.CommitMigration => CommitMigration(state, command.CommitMigration),
            MetaCommand.CommandOneofCase.AbortMigration => AbortMigration(state, command.AbortMigration),
            MetaCommand.CommandOneofCase.NodeHeartbeat => Heartbeat(state, command.NodeHeartbeat),
            _ => Refuse(state, MetaStatus.Invalid, "The command is empty or of a kind this version does not know."),
        };
    }

    private static (ClusterState, MetaReply) Bootstrap(ClusterState state, Protocol.Bootstrap command, ControlLimits limits)
    {
        if (state.IsBootstrapped)
        {
            return command.ClusterId == state.ClusterId
                ? Already(state, $"Cluster '{state.ClusterId}' is already bootstrapped.")
                : Refuse(state, MetaStatus.Conflict, $"The cluster is already bootstrapped as '{state.ClusterId}'.");
        }

        if (command.ClusterId.Length == 0 || command.ClusterId.Length > limits.MaxNameLength)
        {
            return Refuse(state, MetaStatus.Invalid, $"The cluster id must be 1 to {limits.MaxNameLength} characters.");
        }

        if (command.Nodes.Count == 0)
        {
            return Refuse(state, MetaStatus.Invalid, "Bootstrap needs at least one node.");
        }

        if (command.Nodes.Count > limits.MaxNodes)
        {
            return Limit(state, "nodes", command.Nodes.Count, limits.MaxNodes);
        }

        if (command.Groups.Count > limits.MaxGroups)
        {
            return Limit(state, "groups", command.Groups.Count, limits.MaxGroups);
        }

        var nodes = ImmutableSortedDictionary.CreateBuilder<ulong, NodeInfo>();
        foreach (var spec in command.Nodes)
        {
            if (ValidateSpec(spec, limits) is { } problem)
            {
                return Refuse(state, MetaStatus.Invalid, problem);
            }

            if (nodes.ContainsKey(spec.Id))
            {
                return Refuse(state, MetaStatus.Invalid, $"Node {spec.Id} is listed twice.");
            }

            if (nodes.Values.Any(n => n.RaftAddress == spec.RaftAddress))
            {
                return Refuse(state, MetaStatus.Invalid, $"Two nodes share the address {spec.RaftAddress}.");
            }

            nodes[spec.Id] = ToNode(spec, NodeState.Up);
        }

        var withNodes = state.With(nodes: nodes.ToImmutable());
        var groups = ImmutableSortedDictionary.CreateBuilder<ulong, ShardGroup>();
        foreach (var spec in command.Groups)
        {
            if (groups.ContainsKey(spec.Id))
            {
                return Refuse(state, MetaStatus.Invalid, $"Group {spec.Id} is listed twice.");
            }

            if (ValidateGroup(withNodes, spec, limits) is { } problem)
            {
                return Refuse(state, MetaStatus.Invalid, problem);
            }

            groups[spec.Id] = NewGroup(spec);
        }

        // Slots are spread evenly in contiguous ranges, in group id order, so that CLUSTER SLOTS stays short.
        const ulong epoch = 1;
        var owners = new ulong[HashSlot.Count];
        var epochs = new ulong[HashSlot.Count];
        var groupIds = groups.Keys.ToArray();
        if (groupIds.Length > 0)
        {
            for (var slot = 0; slot < HashSlot.Count; slot++)
            {
                owners[slot] = groupIds[(long)slot * groupIds.Length / HashSlot.Count];
                epochs[slot] = epoch;
            }
        }

        var next = withNodes.With(
            clusterId: command.ClusterId,
            epoch: epoch,
            groups: groups.ToImmutable(),
            slotOwners: owners,
            slotEpochs: epochs);
        return Ok(next);
    }

    private static (ClusterState, MetaReply) AddNode(ClusterState state, Protocol.AddNode command, ControlLimits limits)
    {
        var spec = command.Node;
        if (spec is null)
        {
            return Refuse(state, MetaStatus.Invalid, "The node is missing.");
        }

        if (ValidateSpec(spec, limits) is { } problem)
        {
            return Refuse(state, MetaStatus.Invalid, problem);
        }

        if (state.Nodes.TryGetValue(spec.Id, out var existing))
        {
            if (existing.State == NodeState.Removed)
            {
                return Refuse(state, MetaStatus.Conflict, $"Node id {spec.Id} was removed; ids are never reused, pick a new one.");
            }

            return ToNode(spec, existing.State) with { LastSeenMs = existing.LastSeenMs } == existing
                ? Already(state, $"Node {spec.Id} is already a member.")
                : Refuse(state, MetaStatus.Conflict, $"Node {spec.Id} is already a member with different details.");
        }

        if (state.Nodes.Values.Any(n => n.State != NodeState.Removed && n.RaftAddress == spec.RaftAddress))
        {
            return Refuse(state, MetaStatus.Conflict, $"Another node already has the address {spec.RaftAddress}.");
        }

        var live = state.Nodes.Values.Count(n => n.State != NodeState.Removed);
        if (live >= limits.MaxNodes)
        {
            return Limit(state, "nodes", live + 1, limits.MaxNodes);
        }

        if (state.Nodes.Count >= limits.MaxNodeRecords)
        {
            return Limit(state, "node records (removed nodes included)", state.Nodes.Count + 1, limits.MaxNodeRecords);
        }

        return Ok(state.With(nodes: state.Nodes.Add(spec.Id, ToNode(spec, NodeState.Joining))));
    }

    private static (ClusterState, MetaReply) MarkNodeUp(ClusterState state, Protocol.MarkNodeUp command)
    {
        if (FindNode(state, command.NodeId, out var node) is { } missing)
        {
            return missing;
        }

        return node.State switch
        {
            NodeState.Up => Already(state, $"Node {node.Id} is already up."),
            NodeState.Removed => Refuse(state, MetaStatus.Conflict, $"Node {node.Id} was removed and cannot come back."),
            _ => Ok(SetNode(state, node with { State = NodeState.Up })),
        };
    }

    private static (ClusterState, MetaReply) DrainNode(ClusterState state, Protocol.DrainNode command)
    {
        if (FindNode(state, command.NodeId, out var node) is { } missing)
        {
            return missing;
        }

        return node.State switch
        {
            NodeState.Draining => Already(state, $"Node {node.Id} is already draining."),
            NodeState.Removed => Refuse(state, MetaStatus.Conflict, $"Node {node.Id} was removed."),
            _ => Ok(SetNode(state, node with { State = NodeState.Draining })),
        };
    }

    private static (ClusterState, MetaReply) RemoveNode(ClusterState state, Protocol.RemoveNode command)
    {
        if (FindNode(state, command.NodeId, out var node) is { } missing)
        {
            return missing;
        }

        if (node.State == NodeState.Removed)
        {
            return Already(state, $"Node {node.Id} is already removed.");
        }

        if (node.State == NodeState.Up)
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is up; drain it before removing it.");
        }

        var holding = state.GroupsOnNode(node.Id);
        if (holding.Count > 0)
        {
            return Refuse(
                state,
                MetaStatus.Conflict,
                $"Node {node.Id} still holds replicas of groups {string.Join(", ", holding)}; wait for the drain to move them.");
        }

        return Ok(SetNode(state, node with { State = NodeState.Removed }));
    }

    private static (ClusterState, MetaReply) CreateGroup(ClusterState state, Protocol.CreateGroup command, ControlLimits limits)
    {
        var spec = command.Group;
        if (spec is null)
        {
            return Refuse(state, MetaStatus.Invalid, "The group is missing.");
        }

        if (state.Groups.TryGetValue(spec.Id, out var existing))
        {
            return existing.Voters.SequenceEqual(spec.Voters.Order()) && existing.ConfVersion == 1
                ? Already(state, $"Group {spec.Id} already exists.")
                : Refuse(state, MetaStatus.Conflict, $"Group {spec.Id} already exists with other replicas.");
        }

        if (state.Groups.Count >= limits.MaxGroups)
        {
            return Limit(state, "groups", state.Groups.Count + 1, limits.MaxGroups);
        }

        if (ValidateGroup(state, spec, limits) is { } problem)
        {
            return Refuse(state, MetaStatus.Invalid, problem);
        }

        return Ok(state.With(groups: state.Groups.Add(spec.Id, NewGroup(spec))));
    }

    private static (ClusterState, MetaReply) AddLearner(ClusterState state, Protocol.AddLearner command, ControlLimits limits)
    {
        if (FindGroupAndNode(state, command.GroupId, command.NodeId, out var group, out var node) is { } missing)
        {
            return missing;
        }

        if (group.Learners.Contains(node.Id))
        {
            return Already(state, $"Node {node.Id} is already a learner of group {group.Id}.");
        }

        if (group.Voters.Contains(node.Id))
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is already a voter of group {group.Id}.");
        }

        if (!node.IsPlacementTarget)
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is {node.State} or not a KV node; replicas go only to up KV nodes.");
        }

        if (group.Learners.Length > 0)
        {
            return Refuse(
                state,
                MetaStatus.Conflict,
                $"Group {group.Id} is already adding node {group.Learners[0]}; one change at a time: promote or remove it first.");
        }

        if (group.ReplicaCount + 1 > limits.MaxReplicas)
        {
            return Limit(state, $"replicas of group {group.Id}", group.ReplicaCount + 1, limits.MaxReplicas);
        }

        return Ok(SetGroup(state, group with { Learners = [node.Id], ConfVersion = group.ConfVersion + 1 }));
    }

    private static (ClusterState, MetaReply) PromoteLearner(ClusterState state, Protocol.PromoteLearner command)
    {
        if (FindGroupAndNode(state, command.GroupId, command.NodeId, out var group, out var node) is { } missing)
        {
            return missing;
        }

        if (group.Voters.Contains(node.Id))
        {
            return Already(state, $"Node {node.Id} is already a voter of group {group.Id}.");
        }

        if (!group.Learners.Contains(node.Id))
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is not a learner of group {group.Id}; add it as a learner first.");
        }

        if (node.State != NodeState.Up)
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is {node.State}; only a learner on an up node is promoted.");
        }

        var voters = group.Voters.Add(node.Id).Sort();
        return Ok(SetGroup(state, group with { Voters = voters, Learners = [], ConfVersion = group.ConfVersion + 1 }));
    }

    private static (ClusterState, MetaReply) RemoveReplica(ClusterState state, Protocol.RemoveReplica command)
    {
        if (FindGroupAndNode(state, command.GroupId, command.NodeId, out var group, out var node) is { } missing)
        {
            return missing;
        }

        if (group.Learners.Contains(node.Id))
        {
            return Ok(SetGroup(state, group with { Learners = [], ConfVersion = group.ConfVersion + 1 }));
        }

        if (!group.Voters.Contains(node.Id))
        {
            return Already(state, $"Node {node.Id} holds no replica of group {group.Id}.");
        }

        if (group.Voters.Length == 1)
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is the last voter of group {group.Id}; add and promote another first.");
        }

        var hint = group.LeaderHint == node.Id ? 0UL : group.LeaderHint;
        return Ok(SetGroup(state, group with { Voters = group.Voters.Remove(node.Id), LeaderHint = hint, ConfVersion = group.ConfVersion + 1 }));
    }

    private static (ClusterState, MetaReply) SetLeaderHint(ClusterState state, Protocol.SetLeaderHint command)
    {
        if (FindGroupAndNode(state, command.GroupId, command.NodeId, out var group, out var node) is { } missing)
        {
            return missing;
        }

        if (!group.Voters.Contains(node.Id))
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} is not a voter of group {group.Id}, so it cannot lead it.");
        }

        if (command.Term < group.LeaderTerm)
        {
            return Refuse(state, MetaStatus.StaleEpoch, $"Group {group.Id} already has a leader of term {group.LeaderTerm}; this report of term {command.Term} is old.");
        }

        if (command.Term == group.LeaderTerm && group.LeaderHint != 0)
        {
            return group.LeaderHint == node.Id
                ? Already(state, $"Node {node.Id} is already the recorded leader of group {group.Id}.")
                : Refuse(state, MetaStatus.Conflict, $"Group {group.Id} already has leader {group.LeaderHint} in term {command.Term}.");
        }

        return Ok(SetGroup(state, group with { LeaderHint = node.Id, LeaderTerm = command.Term }));
    }

    private static (ClusterState, MetaReply) AssignSlots(ClusterState state, Protocol.AssignSlots command)
    {
        if (!state.Groups.ContainsKey(command.GroupId))
        {
            return Refuse(state, MetaStatus.NotFound, $"Group {command.GroupId} does not exist.");
        }

        if (command.Slots.Count is 0 or > HashSlot.Count)
        {
            return Refuse(state, MetaStatus.Invalid, $"Assign 1 to {HashSlot.Count} slots.");
        }

        var seen = new HashSet<uint>();
        var fresh = new List<int>();
        foreach (var slot in command.Slots)
        {
            if (slot >= HashSlot.Count)
            {
                return Refuse(state, MetaStatus.Invalid, $"Slot {slot} is out of range; slots are 0 to {HashSlot.Count - 1}.");
            }

            if (!seen.Add(slot))
            {
                return Refuse(state, MetaStatus.Invalid, $"Slot {slot} is listed twice.");
            }

            var owner = state.OwnerOf((int)slot);
            if (owner == 0)
            {
                fresh.Add((int)slot);
            }
            else if (owner != command.GroupId)
            {
                return Refuse(state, MetaStatus.Conflict, $"Slot {slot} is owned by group {owner}; move it with a migration instead.");
            }
        }

        if (fresh.Count == 0)
        {
            return Already(state, $"Group {command.GroupId} already owns these slots.");
        }

        var epoch = state.Epoch + 1;
        var owners = state.SlotOwners.ToArray();
        var epochs = state.SlotEpochs.ToArray();
        foreach (var slot in fresh)
        {
            owners[slot] = command.GroupId;
            epochs[slot] = epoch;
        }

        return Ok(state.With(epoch: epoch, slotOwners: owners, slotEpochs: epochs));
    }

    private static (ClusterState, MetaReply) BeginMigration(ClusterState state, Protocol.BeginMigration command, ControlLimits limits)
    {
        if (command.Slot >= HashSlot.Count)
        {
            return Refuse(state, MetaStatus.Invalid, $"Slot {command.Slot} is out of range; slots are 0 to {HashSlot.Count - 1}.");
        }

        var slot = (int)command.Slot;
        if (state.MigrationOf(slot) is { } current)
        {
            return current.SourceGroup == command.SourceGroup && current.TargetGroup == command.TargetGroup
                ? Already(state, $"Slot {slot} is already migrating from group {current.SourceGroup} to {current.TargetGroup}.", slot)
                : Refuse(state, MetaStatus.Conflict, $"Slot {slot} is already migrating to group {current.TargetGroup}; finish or abort that first.", slot);
        }

        if (command.SourceGroup == command.TargetGroup)
        {
            return Refuse(state, MetaStatus.Invalid, "A slot cannot migrate to the group it is in.");
        }

        if (!state.Groups.ContainsKey(command.TargetGroup))
        {
            return Refuse(state, MetaStatus.NotFound, $"Target group {command.TargetGroup} does not exist.");
        }

        var owner = state.OwnerOf(slot);
        if (owner == 0)
        {
            return Refuse(state, MetaStatus.Conflict, $"Slot {slot} has no owner; assign it instead.", slot);
        }

        if (owner != command.SourceGroup)
        {
            return Refuse(state, MetaStatus.Conflict, $"Slot {slot} is owned by group {owner}, not {command.SourceGroup}.", slot);
        }

        if (command.ExpectedSlotEpoch != state.SlotEpoch(slot))
        {
            return Refuse(state, MetaStatus.StaleEpoch, $"Slot {slot} is at epoch {state.SlotEpoch(slot)}, not {command.ExpectedSlotEpoch}; re-read the slot table.", slot);
        }

        if (state.Migrations.Count >= limits.MaxConcurrentMigrations)
        {
            return Limit(state, "migrations in progress", state.Migrations.Count + 1, limits.MaxConcurrentMigrations);
        }

        return ChangeSlot(state, slot, owner, epoch => state.Migrations.Add(slot, new SlotMigration(slot, owner, command.TargetGroup, MigrationPhase.Migrating, epoch)));
    }

    private static (ClusterState, MetaReply) FenceMigration(ClusterState state, Protocol.FenceMigration command)
    {
        if (FindMigration(state, command.Slot, command.TargetGroup, out var migration, passedWhenOwnedByTarget: true) is { } answer)
        {
            return answer;
        }

        var slot = migration.Slot;
        if (migration.Phase == MigrationPhase.Fencing)
        {
            return Already(state, $"Slot {slot}'s migration is already fencing.", slot);
        }

        if (command.ExpectedSlotEpoch != migration.Epoch)
        {
            return Refuse(state, MetaStatus.StaleEpoch, $"Slot {slot}'s migration is at epoch {migration.Epoch}, not {command.ExpectedSlotEpoch}.", slot);
        }

        return ChangeSlot(state, slot, migration.SourceGroup, epoch => state.Migrations.SetItem(slot, migration with { Phase = MigrationPhase.Fencing, Epoch = epoch }));
    }

    private static (ClusterState, MetaReply) CommitMigration(ClusterState state, Protocol.CommitMigration command)
    {
        if (FindMigration(state, command.Slot, command.TargetGroup, out var migration, passedWhenOwnedByTarget: true) is { } answer)
        {
            return answer;
        }

        var slot = migration.Slot;
        if (migration.Phase != MigrationPhase.Fencing)
        {
            return Refuse(state, MetaStatus.Conflict, $"Slot {slot}'s migration is {migration.Phase}; fence writes before committing.", slot);
        }

        if (command.ExpectedSlotEpoch != migration.Epoch)
        {
            return Refuse(state, MetaStatus.StaleEpoch, $"Slot {slot}'s migration is at epoch {migration.Epoch}, not {command.ExpectedSlotEpoch}.", slot);
        }

        return ChangeSlot(state, slot, migration.TargetGroup, _ => state.Migrations.Remove(slot));
    }

    private static (ClusterState, MetaReply) AbortMigration(ClusterState state, Protocol.AbortMigration command)
    {
        if (FindMigration(state, command.Slot, command.TargetGroup, out var migration, passedWhenOwnedByTarget: false) is { } answer)
        {
            return answer;
        }

        var slot = migration.Slot;
        if (command.ExpectedSlotEpoch != migration.Epoch)
        {
            return Refuse(state, MetaStatus.StaleEpoch, $"Slot {slot}'s migration is at epoch {migration.Epoch}, not {command.ExpectedSlotEpoch}.", slot);
        }

        return ChangeSlot(state, slot, migration.SourceGroup, _ => state.Migrations.Remove(slot));
    }

    private static (ClusterState, MetaReply) Heartbeat(ClusterState state, NodeHeartbeat command)
    {
        if (FindNode(state, command.NodeId, out var node) is { } missing)
        {
            return missing;
        }

        if (node.State == NodeState.Removed)
        {
            return Refuse(state, MetaStatus.Conflict, $"Node {node.Id} was removed; it should stop.");
        }

        if (command.AtMs < 0)
        {
            return Refuse(state, MetaStatus.Invalid, "A heartbeat time cannot be negative.");
        }

        // Heartbeats may be reordered or retried; last-seen only moves forward.
        return command.AtMs <= node.LastSeenMs
            ? Already(state, $"Node {node.Id} was already seen at {node.LastSeenMs}.")
            : Ok(SetNode(state, node with { LastSeenMs = command.AtMs }));
    }

    /// <summary>Bumps the cluster epoch and gives <paramref name="slot"/> that epoch and <paramref name="owner"/>.</summary>
    private static (ClusterState, MetaReply) ChangeSlot(
        ClusterState state,
        int slot,
        ulong owner,
        Func<ulong, ImmutableSortedDictionary<int, SlotMigration>> migrations)
    {
        var epoch = state.Epoch + 1;
        var owners = state.SlotOwners.ToArray();
        var epochs = state.SlotEpochs.ToArray();
        owners[slot] = owner;
        epochs[slot] = epoch;
        var next = state.With(epoch: epoch, migrations: migrations(epoch), slotOwners: owners, slotEpochs: epochs);
        return (next, new MetaReply { Status = MetaStatus.Ok, ClusterEpoch = epoch, SlotEpoch = epoch });
    }

    /// <summary>
    /// Finds the migration of <paramref name="rawSlot"/> to <paramref name="target"/>, or the answer when there is
    /// none: a retry after the migration committed (the target owns the slot) or aborted is "already applied".
    /// </summary>
    private static (ClusterState, MetaReply)? FindMigration(
        ClusterState state,
        uint rawSlot,
        ulong target,
        out SlotMigration migration,
        bool passedWhenOwnedByTarget)
    {
        migration = null!;
        if (rawSlot >= HashSlot.Count)
        {
            return Refuse(state, MetaStatus.Invalid, $"Slot {rawSlot} is out of range; slots are 0 to {HashSlot.Count - 1}.");
        }

        var slot = (int)rawSlot;
        if (state.MigrationOf(slot) is not { } current)
        {
            var ownedByTarget = state.OwnerOf(slot) == target;
            if (ownedByTarget == passedWhenOwnedByTarget)
            {
                return Already(state, $"Slot {slot} is not migrating; group {state.OwnerOf(slot)} owns it.", slot);
            }

            return passedWhenOwnedByTarget
                ? Refuse(state, MetaStatus.NotFound, $"Slot {slot} is not migrating.", slot)
                : Refuse(state, MetaStatus.Conflict, $"Slot {slot}'s migration to group {target} already committed.", slot);
        }

        if (current.TargetGroup != target)
        {
            return Refuse(state, MetaStatus.Conflict, $"Slot {slot} is migrating to group {current.TargetGroup}, not {target}.", slot);
        }

        migration = current;
        return null;
    }

    private static (ClusterState, MetaReply)? FindNode(ClusterState state, ulong id, out NodeInfo node)
    {
        if (state.Nodes.TryGetValue(id, out node!))
        {
            return null;
        }

        return Refuse(state, MetaStatus.NotFound, $"Node {id} does not exist.");
    }

    private static (ClusterState, MetaReply)? FindGroupAndNode(ClusterState state, ulong groupId, ulong nodeId, out ShardGroup group, out NodeInfo node)
    {
        node = null!;
        if (!state.Groups.TryGetValue(groupId, out group!))
        {
            return Refuse(state, MetaStatus.NotFound, $"Group {groupId} does not exist.");
        }

        return FindNode(state, nodeId, out node);
    }

    internal static string? ValidateSpec(NodeSpec spec, ControlLimits limits)
    {
        if (spec.Id == 0)
        {
            return "Node id 0 is reserved; ids start at 1.";
        }

        if (spec.RaftAddress.Length == 0 || spec.RaftAddress.Length > limits.MaxNameLength)
        {
            return $"Node {spec.Id}'s address must be 1 to {limits.MaxNameLength} characters.";
        }

        if (spec.ClientAddress.Length > limits.MaxNameLength || spec.FailureDomain.Length > limits.MaxNameLength)
        {
            return $"Node {spec.Id}'s client address and failure domain must be at most {limits.MaxNameLength} characters.";
        }

        if (spec.Roles == 0 || (spec.Roles & ~(uint)NodeRoles.All) != 0)
        {
            return $"Node {spec.Id}'s roles {spec.Roles} are not a non-empty set of known roles (1 meta, 2 kv, 4 chunk, 8 gateway).";
        }

        return null;
    }

    private static string? ValidateGroup(ClusterState state, GroupSpec spec, ControlLimits limits)
    {
        if (spec.Id == 0)
        {
            return "Group id 0 is reserved; ids start at 1.";
        }

        if (spec.Voters.Count == 0 || spec.Voters.Count > limits.MaxReplicas)
        {
            return $"Group {spec.Id} needs 1 to {limits.MaxReplicas} voters.";
        }

        if (spec.Voters.Distinct().Count() != spec.Voters.Count)
        {
            return $"Group {spec.Id} lists a voter twice.";
        }

        foreach (var voter in spec.Voters)
        {
            if (!state.Nodes.TryGetValue(voter, out var node))
            {
                return $"Group {spec.Id}'s voter {voter} is not a node.";
            }

            if (!node.IsPlacementTarget)
            {
                return $"Group {spec.Id}'s voter {voter} is {node.State} or not a KV node; replicas go only to up KV nodes.";
            }
        }

        return null;
    }

    private static NodeInfo ToNode(NodeSpec spec, NodeState state) =>
        new(spec.Id, spec.RaftAddress, spec.ClientAddress, (NodeRoles)spec.Roles, spec.FailureDomain, state, 0);

    private static ShardGroup NewGroup(GroupSpec spec) =>
        new(spec.Id, [.. spec.Voters.Order()], [], 0, 0, 1);

    private static ClusterState SetNode(ClusterState state, NodeInfo node) => state.With(nodes: state.Nodes.SetItem(node.Id, node));

    private static ClusterState SetGroup(ClusterState state, ShardGroup group) => state.With(groups: state.Groups.SetItem(group.Id, group));

    private static (ClusterState, MetaReply) Ok(ClusterState next) =>
        (next, new MetaReply { Status = MetaStatus.Ok, ClusterEpoch = next.Epoch });

    private static (ClusterState, MetaReply) Already(ClusterState state, string why, int slot = -1) =>
        (state, new MetaReply { Status = MetaStatus.AlreadyApplied, Error = why, ClusterEpoch = state.Epoch, SlotEpoch = slot >= 0 ? state.SlotEpoch(slot) : 0 });

    private static (ClusterState, MetaReply) Refuse(ClusterState state, MetaStatus status, string why, int slot = -1) =>
        (state, new MetaReply { Status = status, Error = why, ClusterEpoch = state.Epoch, SlotEpoch = slot >= 0 ? state.SlotEpoch(slot) : 0 });

    private static (ClusterState, MetaReply) Limit(ClusterState state, string what, long actual, long maximum) =>
        Refuse(state, MetaStatus.LimitExceeded, $"Too many {what}: {actual}; the limit is {maximum}.");
}
