namespace Cairn.Meta;

/// <summary>
/// The control group's limits. Every one is enforced with a <c>LIMIT_EXCEEDED</c> reply (or a refused snapshot)
/// that names it. All replicas of the group must use the same limits, or they could answer a command differently.
/// </summary>
public sealed record ControlLimits
{
    /// <summary>The defaults.</summary>
    public static ControlLimits Default { get; } = new();

    /// <summary>Most nodes that are not removed.</summary>
    public int MaxNodes { get; init; } = 1024;

    /// <summary>Most node records, removed ones included (removed ids are kept so that they are never reused).</summary>
    public int MaxNodeRecords { get; init; } = 4096;

    /// <summary>Most shard groups.</summary>
    public int MaxGroups { get; init; } = 4096;

    /// <summary>Most replicas (voters and learners) of one group.</summary>
    public int MaxReplicas { get; init; } = 7;

    /// <summary>Most slot migrations in progress at once.</summary>
    public int MaxConcurrentMigrations { get; init; } = 64;

    /// <summary>Largest encoded command, in bytes.</summary>
    public int MaxCommandSize { get; init; } = 1024 * 1024;

    /// <summary>Largest snapshot restore accepts, in bytes.</summary>
    public int MaxSnapshotSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Longest address, cluster id or failure domain, in characters.</summary>
    public int MaxNameLength { get; init; } = 256;
}
