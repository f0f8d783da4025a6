namespace Cairn.Simulation.World;

/// <summary>
/// The shape of one simulated run: cluster size, timing, network quality, load, and which faults the nemesis may
/// inject. Times are virtual microseconds.
/// </summary>
public sealed record SimulationOptions
{
    public int Nodes { get; init; } = 3;

    /// <summary>How long clients run and the nemesis injects faults.</summary>
    public long FaultWindow { get; init; } = 4_000_000;

    /// <summary>After the faults stop, how long the cluster gets to finish pending work and converge.</summary>
    public long SettleTimeout { get; init; } = 5_000_000;

    public long TickInterval { get; init; } = 10_000;

    public int ElectionTick { get; init; } = 10;

    public int HeartbeatTick { get; init; } = 2;

    /// <summary>Passed to <see cref="Cairn.Raft.RaftConfig.CheckQuorum"/>: a leader that hears from no quorum steps down.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Passed to <see cref="Cairn.Raft.RaftConfig.PreVote"/>.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>Passed to <see cref="Cairn.Raft.RaftConfig.MaxInflightMessages"/>; small values exercise flow control.</summary>
    public int MaxInflightMessages { get; init; } = 64;

    /// <summary>Passed to <see cref="Cairn.Raft.RaftConfig.MaxBytesPerAppend"/>; small values split catch-up into many appends.</summary>
    public long MaxBytesPerAppend { get; init; } = 1024 * 1024;

    /// <summary>
    /// Gets are served through <see cref="Cairn.Raft.RawNode.ReadIndex"/> instead of the log: the node answers from its
    /// state machine once it has applied the read index a quorum confirmed.
    /// </summary>
    public bool ReadIndexReads { get; init; }

    public long MinLatency { get; init; } = 200;

    public long MaxLatency { get; init; } = 6_000;

    /// <summary>The chance a message is lost.</summary>
    public double DropRate { get; init; }

    /// <summary>The chance a message is delivered twice (each copy with its own latency, so copies also reorder).</summary>
    public double DuplicateRate { get; init; }

    public int Clients { get; init; } = 5;

    /// <summary>How many keys clients share: few keys, more contention, a harder history to check.</summary>
    public int Keys { get; init; } = 3;

    /// <summary>The longest pause between a client's operations.</summary>
    public long MaxThinkTime { get; init; } = 5_000;

    /// <summary>How long a client waits for an answer before retrying at another node.</summary>
    public long ClientTimeout { get; init; } = 40_000;

    /// <summary>How long a client retries one operation before recording it as indeterminate and moving on.</summary>
    public long ClientGiveUp { get; init; } = 1_500_000;

    /// <summary>Segment size of each node's durable log; small, so rolling and truncating across segments happen.</summary>
    public long SegmentSize { get; init; } = 2048;

    /// <summary>Whether the random nemesis runs (scenario tests inject their faults by hand).</summary>
    public bool Nemesis { get; init; } = true;

    public long MinNemesisInterval { get; init; } = 50_000;

    public long MaxNemesisInterval { get; init; } = 300_000;

    public bool Crashes { get; init; } = true;

    public bool Partitions { get; init; } = true;

    public bool OneWayPartitions { get; init; } = true;

    public bool Clogging { get; init; } = true;

    public bool DiskFull { get; init; }

    public bool BitFlips { get; init; }

    /// <summary>
    /// Whether a bit flip may also land in the last segment, whose newest entries a node may have just acknowledged.
    /// On by default: the log's seals tell a flip there from a torn tail (ADR 0017), so the node refuses to open
    /// rather than forget an acknowledged entry.
    /// </summary>
    public bool BitFlipsInLastSegment { get; init; } = true;

    /// <summary>
    /// Whether the nemesis also changes the cluster under the load: snapshots (and log compaction) on random nodes,
    /// leadership transfers, and membership changes (a new node added as a learner, promoted, an old voter removed).
    /// </summary>
    public bool Reconfiguration { get; init; }

    /// <summary>A deliberate bug, for tests of the checkers themselves.</summary>
    public Sabotage Sabotage { get; init; }

    /// <summary>Keeps every event's description (not only the last ones) for debugging one seed.</summary>
    public int TraceTail { get; init; } = 60;

    /// <summary>
    /// The CI profile: every fault on, with the cluster size, network quality and disk faults chosen by the seed,
    /// so a few hundred seeds cover a spread of configurations.
    /// </summary>
    public static SimulationOptions ForSeed(int seed)
    {
        // A separate generator for the configuration: the world's own generator starts fresh from the seed.
        var pick = new Random(unchecked(seed * 7919 + 17));
        return new SimulationOptions
        {
            Nodes = pick.Next(4) == 0 ? 5 : 3,
            DropRate = pick.Next(3) switch { 0 => 0, 1 => 0.01, _ => 0.05 },
            DuplicateRate = pick.Next(2) == 0 ? 0 : 0.03,
            MaxLatency = pick.Next(2) == 0 ? 3_000 : 15_000,
            Keys = 2 + pick.Next(3),
            DiskFull = pick.Next(4) == 0,
            BitFlips = pick.Next(4) == 0,
            CheckQuorum = pick.Next(4) != 0,
            PreVote = pick.Next(4) != 0,
            HeartbeatTick = 1 + pick.Next(3),
            MaxInflightMessages = pick.Next(3) == 0 ? 2 : 64,
            MaxBytesPerAppend = pick.Next(3) == 0 ? 200 : 1024 * 1024,
            Reconfiguration = pick.Next(3) == 0, // drawn last, so the picks above stay what they were for every seed
        };
    }
}
