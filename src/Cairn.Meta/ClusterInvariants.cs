using Cairn.Core;

namespace Cairn.Meta;

/// <summary>
/// The rules every <see cref="ClusterState"/> keeps, checked after every command in debug builds and tests, and on
/// every restored snapshot. A violation is a bug in the state machine (or a corrupt snapshot), never bad input.
/// </summary>
public static class ClusterInvariants
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming every rule <paramref name="state"/> breaks.</summary>
    public static void Check(ClusterState state, ControlLimits limits)
    {
        var violations = Violations(state, limits);
        if (violations.Count > 0)
        {
            throw new InvalidOperationException("Control state invariant broken: " + string.Join("; ", violations));
        }
    }

    /// <summary>Throws when <paramref name="next"/> could not follow <paramref name="previous"/>: versions or epochs went back.</summary>
    public static void CheckSuccessor(ClusterState previous, ClusterState next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        if (next.Version < previous.Version)
        {
            throw new InvalidOperationException($"Control state version went back from {previous.Version} to {next.Version}.");
        }

        if (next.Epoch < previous.Epoch)
        {
            throw new InvalidOperationException($"Cluster epoch went back from {previous.Epoch} to {next.Epoch}.");
        }

        var before = previous.SlotEpochs;
        var after = next.SlotEpochs;
        if (before == after)
        {
            // The same table (commands that do not touch slots share it): nothing to compare.
            return;
        }

        for (var slot = 0; slot < HashSlot.Count; slot++)
        {
            if (after[slot] < before[slot])
            {
                throw new InvalidOperationException($"Epoch of slot {slot} went back from {before[slot]} to {after[slot]}.");
            }
        }
    }

    /// <summary>Every rule <paramref name="state"/> breaks, in words; empty when it keeps them all.</summary>
    public static IReadOnlyList<string> Violations(ClusterState state, ControlLimits limits)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(limits);
        var violations = new List<string>();
        if (!state.IsBootstrapped)
        {
            if (state.Nodes.Count > 0 || state.Groups.Count > 0 || state.Migrations.Count > 0 || state.Epoch != 0)
            {
                violations.Add("a cluster that is not bootstrapped has nodes, groups, migrations or an epoch");
            }
        }

        CheckNodes(state, limits, violations);
        CheckGroups(state, limits, violations);
        CheckSlots(state, violations);
        CheckMigrations(state, limits, violations);
        return violations;
    }

    private static void CheckNodes(ClusterState state, ControlLimits limits, List<string> violations)
    {
        var live = 0;
        foreach (var (id, node) in state.Nodes)
        {
            if (id == 0 || node.Id != id)
            {
                violations.Add($"node record {id} has id {node.Id}");
            }

            if (!Enum.IsDefined(node.State))
            {
                violations.Add($"node {id} has unknown state {(int)node.State}");
            }

            if (node.State != NodeState.Removed)
            {
                live++;
            }
        }

        if (live > limits.MaxNodes || state.Nodes.Count > limits.MaxNodeRecords)
        {
            violations.Add($"{live} live nodes and {state.Nodes.Count} records exceed the limits");
        }
    }

    private static void CheckGroups(ClusterState state, ControlLimits limits, List<string> violations)
    {
        if (state.Groups.Count > limits.MaxGroups)
        {
            violations.Add($"{state.Groups.Count} groups exceed the limit of {limits.MaxGroups}");
        }

        foreach (var (id, group) in state.Groups)
        {
            if (id == 0 || group.Id != id)
            {
                violations.Add($"group record {id} has id {group.Id}");
            }

            if (group.Voters.IsDefaultOrEmpty)
            {
                violations.Add($"group {id} has no voter");
                continue;
            }

            if (group.Learners.IsDefault)
            {
                violations.Add($"group {id} has no learner list");
                continue;
            }

            if (!IsStrictlyAscending(group.Voters) || !IsStrictlyAscending(group.Learners))
            {
                violations.Add($"group {id} lists replicas out of order or twice");
            }

            if (group.Learners.Length > 1)
            {
                violations.Add($"group {id} has {group.Learners.Length} learners; one change at a time allows one");
            }

            if (group.ReplicaCount > limits.MaxReplicas)
            {
                violations.Add($"group {id} has {group.ReplicaCount} replicas; the limit is {limits.MaxReplicas}");
            }

            foreach (var replica in group.Voters.Concat(group.Learners))
            {
                if (!state.Nodes.TryGetValue(replica, out var node))
                {
                    violations.Add($"group {id} has a replica on unknown node {replica}");
                }
                else if (node.State == NodeState.Removed)
                {
                    violations.Add($"group {id} has a replica on removed node {replica}");
                }
            }

            if (group.Voters.Intersect(group.Learners).Any())
            {
                violations.Add($"group {id} has a node that is both voter and learner");
            }

            if (group.LeaderHint != 0 && !group.Voters.Contains(group.LeaderHint))
            {
                violations.Add($"group {id}'s leader hint {group.LeaderHint} is not a voter");
            }
        }
    }

    private static void CheckSlots(ClusterState state, List<string> violations)
    {
        var owners = state.SlotOwners;
        var epochs = state.SlotEpochs;
        if (owners.Length != HashSlot.Count || epochs.Length != HashSlot.Count)
        {
            violations.Add($"the slot table has {owners.Length} owners and {epochs.Length} epochs, not {HashSlot.Count}");
            return;
        }

        // Owners come in long runs: look a group up only when the owner changes. This runs after every command.
        var clusterEpoch = state.Epoch;
        var checkedOwner = 0UL;
        for (var slot = 0; slot < owners.Length; slot++)
        {
            var owner = owners[slot];
            var epoch = epochs[slot];
            if (owner != checkedOwner)
            {
                if (owner != 0 && !state.Groups.ContainsKey(owner))
                {
                    violations.Add($"slot {slot} is owned by unknown group {owner}");
                }

                checkedOwner = owner;
            }

            if (epoch > clusterEpoch || (owner != 0 && epoch == 0))
            {
                violations.Add($"slot {slot} is owned by {owner} at epoch {epoch}, with the cluster at epoch {clusterEpoch}");
            }
        }
    }

    private static void CheckMigrations(ClusterState state, ControlLimits limits, List<string> violations)
    {
        if (state.Migrations.Count > limits.MaxConcurrentMigrations)
        {
            violations.Add($"{state.Migrations.Count} migrations exceed the limit of {limits.MaxConcurrentMigrations}");
        }

        foreach (var (slot, migration) in state.Migrations)
        {
            if (slot is < 0 or >= HashSlot.Count || migration.Slot != slot)
            {
                violations.Add($"migration record {slot} names slot {migration.Slot}");
                continue;
            }

            if (state.OwnerOf(slot) != migration.SourceGroup || migration.SourceGroup == 0)
            {
                violations.Add($"slot {slot} migrates from group {migration.SourceGroup} but is owned by {state.OwnerOf(slot)}");
            }

            if (!state.Groups.ContainsKey(migration.TargetGroup) || migration.TargetGroup == migration.SourceGroup)
            {
                violations.Add($"slot {slot} migrates to group {migration.TargetGroup}, which does not exist or is its source");
            }

            if (!Enum.IsDefined(migration.Phase))
            {
                violations.Add($"slot {slot}'s migration has unknown phase {(int)migration.Phase}");
            }

            if (migration.Epoch != state.SlotEpoch(slot))
            {
                violations.Add($"slot {slot}'s migration is at epoch {migration.Epoch} but the slot at {state.SlotEpoch(slot)}");
            }
        }
    }

    private static bool IsStrictlyAscending(IReadOnlyList<ulong> ids)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == 0 || (i > 0 && ids[i] <= ids[i - 1]))
            {
                return false;
            }
        }

        return true;
    }
}
