using Cairn.Core;
using Cairn.Meta.Protocol;
using Google.Protobuf;

namespace Cairn.Meta.Tests.Support;

/// <summary>
/// Draws control commands from a seeded <see cref="Random"/>: mostly plausible ones aimed at the current state (so
/// that many succeed), some with wrong ids, stale epochs or impossible values, and some raw garbage.
/// </summary>
internal sealed class RandomCommands(int seed)
{
    private const int NodeIds = 12;
    private const int GroupIds = 8;
    private readonly Random _random = new(seed);
    private long _clock;

    public byte[] Next(ClusterState state)
    {
        var roll = _random.Next(100);
        if (roll < 3)
        {
            var garbage = new byte[_random.Next(0, 40)];
            _random.NextBytes(garbage);
            return garbage;
        }

        if (!state.IsBootstrapped || roll < 5)
        {
            return Bootstrap().ToByteArray();
        }

        return Command(state).ToByteArray();
    }

    private MetaCommand Bootstrap()
    {
        var nodes = Enumerable.Range(1, _random.Next(1, 5)).Select(i => ControlHarness.NodeSpec(i)).ToList();
        var groups = Enumerable.Range(1, _random.Next(0, 3))
            .Select(g => MetaCommands.Group((ulong)g, [.. nodes.Take(_random.Next(1, nodes.Count + 1)).Select(n => n.Id)]))
            .ToList();
        return MetaCommands.Bootstrap(_random.Next(4) == 0 ? "other" : "fuzz", nodes, groups);
    }

    private MetaCommand Command(ClusterState state)
    {
        var node = NodeId(state);
        var group = GroupId(state);
        switch (_random.Next(17))
        {
            case 0:
                return MetaCommands.AddNode(ControlHarness.NodeSpec((int)node, _random.Next(6) == 0 ? NodeRoles.Meta : NodeRoles.All));
            case 1:
                return MetaCommands.MarkNodeUp(node);
            case 2:
                return MetaCommands.DrainNode(node);
            case 3:
                return MetaCommands.RemoveNode(node);
            case 4:
                return MetaCommands.CreateGroup(MetaCommands.Group((ulong)_random.Next(0, GroupIds + 1), [.. Enumerable.Range(0, _random.Next(0, 4)).Select(_ => NodeId(state))]));
            case 5:
            case 6:
                return MetaCommands.AddLearner(group, node);
            case 7:
                return MetaCommands.PromoteLearner(group, state.GroupOrNull(group) is { Learners.Length: > 0 } g && _random.Next(4) > 0 ? g.Learners[0] : node);
            case 8:
                return MetaCommands.RemoveReplica(group, node);
            case 9:
                return MetaCommands.SetLeaderHint(group, node, (ulong)_random.Next(0, 10));
            case 10:
                return MetaCommands.AssignSlots(group, Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Slot()).Distinct());
            case 11:
            case 12:
                {
                    var slot = Slot();
                    var owner = _random.Next(4) > 0 && slot < HashSlot.Count ? state.OwnerOf(slot) : GroupId(state);
                    return MetaCommands.BeginMigration(slot, owner, group, Epoch(SlotEpoch(state, slot)));
                }

            case 13:
            case 14:
            case 15:
                {
                    var slot = state.Migrations.Count > 0 && _random.Next(5) > 0
                        ? state.Migrations.Keys.ElementAt(_random.Next(state.Migrations.Count))
                        : Slot();
                    var target = slot < HashSlot.Count && state.MigrationOf(slot) is { } m && _random.Next(5) > 0 ? m.TargetGroup : group;
                    var epoch = Epoch(SlotEpoch(state, slot));
                    return _random.Next(3) switch
                    {
                        0 => MetaCommands.FenceMigration(slot, target, epoch),
                        1 => MetaCommands.CommitMigration(slot, target, epoch),
                        _ => MetaCommands.AbortMigration(slot, target, epoch),
                    };
                }

            default:
                _clock += _random.Next(-100, 1000);
                return MetaCommands.Heartbeat(node, _clock);
        }
    }

    private static ulong SlotEpoch(ClusterState state, int slot) => slot < HashSlot.Count ? state.SlotEpoch(slot) : 1;

    private ulong NodeId(ClusterState state) =>
        state.Nodes.Count > 0 && _random.Next(4) > 0
            ? state.Nodes.Keys.ElementAt(_random.Next(state.Nodes.Count))
            : (ulong)_random.Next(0, NodeIds + 1);

    private ulong GroupId(ClusterState state) =>
        state.Groups.Count > 0 && _random.Next(4) > 0
            ? state.Groups.Keys.ElementAt(_random.Next(state.Groups.Count))
            : (ulong)_random.Next(0, GroupIds + 1);

    // A few slots, so that migrations collide; sometimes one out of range.
    private int Slot() => _random.Next(50) == 0 ? HashSlot.Count + _random.Next(3) : _random.Next(0, 24) * 700;

    private ulong Epoch(ulong current) => _random.Next(5) > 0 ? current : (ulong)_random.Next(0, (int)current + 3);
}
