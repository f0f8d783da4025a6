using Cairn.Meta.Protocol;
using Google.Protobuf;

namespace Cairn.Meta.Tests.Support;

/// <summary>A control state machine fed commands at consecutive log indexes, with invariants checked after each.</summary>
internal sealed class ControlHarness
{
    public ControlHarness(ControlLimits? limits = null, bool checkInvariants = true)
    {
        Machine = new ControlStateMachine(limits, checkInvariants);
    }

    public ControlStateMachine Machine { get; }

    public ClusterState State => Machine.State;

    public ulong Index { get; private set; }

    public MetaReply Run(MetaCommand command)
    {
        var bytes = Machine.Apply(NextIndex(), command.ToByteArray());
        Assert.NotNull(bytes);
        return MetaReply.Parser.ParseFrom(bytes);
    }

    public MetaReply RunRaw(byte[] command) => MetaReply.Parser.ParseFrom(Machine.Apply(NextIndex(), command));

    // After a restored snapshot the log goes on from the snapshot's index.
    private ulong NextIndex() => Index = Math.Max(Index, State.Version) + 1;

    /// <summary>Runs <paramref name="command"/> and asserts it changed the state.</summary>
    public MetaReply Ok(MetaCommand command)
    {
        var reply = Run(command);
        Assert.True(reply.Status == MetaStatus.Ok, $"{command.CommandCase}: {reply.Status} {reply.Error}");
        return reply;
    }

    /// <summary>Runs <paramref name="command"/>, asserts it was refused with <paramref name="status"/> and changed nothing but the version.</summary>
    public MetaReply Refused(MetaCommand command, MetaStatus status)
    {
        var before = Snapshot();
        var reply = Run(command);
        Assert.True(reply.Status == status, $"{command.CommandCase}: expected {status}, got {reply.Status} {reply.Error}");
        Assert.False(string.IsNullOrEmpty(reply.Error));
        AssertSameExceptVersion(before);
        return reply;
    }

    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        Machine.WriteSnapshot(stream);
        return stream.ToArray();
    }

    /// <summary>Asserts the state equals the one in <paramref name="before"/> apart from the applied index.</summary>
    private void AssertSameExceptVersion(byte[] before)
    {
        var copy = new ControlStateMachine(checkInvariants: true);
        copy.RestoreSnapshot(new MemoryStream(before));
        Assert.Equal(Describe(copy.State), Describe(State));
    }

    public static string Describe(ClusterState s) =>
        $"{s.ClusterId}|{s.Epoch}|{string.Join(",", s.Nodes.Values)}|{string.Join(",", s.Groups.Values.Select(g => $"{g.Id}:{string.Join("/", g.Voters)}:{string.Join("/", g.Learners)}:{g.LeaderHint}:{g.LeaderTerm}:{g.ConfVersion}"))}|{string.Join(",", s.Migrations.Values)}|{string.Join(",", s.SlotRanges())}|{SlotEpochHash(s)}";

    private static ulong SlotEpochHash(ClusterState s)
    {
        ulong hash = 17;
        for (var slot = 0; slot < Cairn.Core.HashSlot.Count; slot++)
        {
            hash = (hash * 31) + s.SlotEpoch(slot);
        }

        return hash;
    }

    /// <summary>A bootstrapped cluster of <paramref name="nodes"/> nodes (ids 1..n, domains z1..z3) and groups 1..g of <paramref name="replicas"/> voters each.</summary>
    public static ControlHarness Bootstrapped(int nodes = 3, int groups = 3, int replicas = 3, ControlLimits? limits = null)
    {
        var harness = new ControlHarness(limits);
        var specs = Enumerable.Range(1, nodes).Select(i => NodeSpec(i)).ToList();
        var groupSpecs = Enumerable.Range(1, groups)
            .Select(g => MetaCommands.Group((ulong)g, [.. Enumerable.Range(0, replicas).Select(r => (ulong)(((g - 1 + r) % nodes) + 1))]))
            .ToList();
        harness.Ok(MetaCommands.Bootstrap("test", specs, groupSpecs));
        return harness;
    }

    public static NodeSpec NodeSpec(int id, NodeRoles roles = NodeRoles.All) =>
        MetaCommands.Node((ulong)id, $"10.0.0.{id}:7000", $"10.0.0.{id}:6379", roles, $"z{((id - 1) % 3) + 1}");
}
