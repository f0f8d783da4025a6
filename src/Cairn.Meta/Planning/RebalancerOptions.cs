namespace Cairn.Meta.Planning;

/// <summary>How the <see cref="Rebalancer"/> plans.</summary>
public sealed record RebalancerOptions
{
    /// <summary>The defaults.</summary>
    public static RebalancerOptions Default { get; } = new();

    /// <summary>Voters each group should have.</summary>
    public int ReplicationFactor { get; init; } = 3;

    /// <summary>How long a node may go without a heartbeat before its replicas are re-created elsewhere, in ms.</summary>
    public long DownAfterMs { get; init; } = 5 * 60 * 1000;

    /// <summary>Most replica changes and leader transfers in one plan (at most one replica change per group).</summary>
    public int MaxReplicaSteps { get; init; } = 8;

    /// <summary>Most slot moves in one plan (also bounded by the free migration slots of <see cref="ControlLimits"/>).</summary>
    public int MaxSlotMoves { get; init; } = 16;
}
