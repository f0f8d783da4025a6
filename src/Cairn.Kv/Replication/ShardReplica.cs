namespace Cairn.Kv.Replication;

/// <summary>One shard group on this node: its state machine and, while this node leads it, its leader keyspace.</summary>
internal sealed class ShardReplica
{
    public ShardReplica(ShardStateMachine machine, ReadBarrier barrier)
    {
        Machine = machine;
        Barrier = barrier;
    }

    public ulong GroupId => Machine.GroupId;

    public ShardStateMachine Machine { get; }

    public ReadBarrier Barrier { get; }

    /// <summary>The keyspace this node serves the group from while it leads it, or null.</summary>
    public volatile LeaderKeyspace? Leader;

    /// <summary>The leader this node last saw for the group (0: none known).</summary>
    public ulong LeaderId;

    /// <summary>The term this node last saw.</summary>
    public ulong Term;
}
