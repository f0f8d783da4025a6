namespace Cairn.Simulation.World;

/// <summary>
/// Deliberate host bugs, for tests that prove the checkers catch what they claim to catch. Never set outside those
/// tests: a simulator whose checkers cannot fail proves nothing.
/// </summary>
public enum Sabotage
{
    None,

    /// <summary>The leader answers a client as soon as it proposes, before the entry commits (acknowledged writes get lost).</summary>
    AnswerOnPropose,

    /// <summary>The state machine applies a retried operation again instead of de-duplicating it.</summary>
    SkipDeduplication,

    /// <summary>One replica applies puts with a different value from the rest (replicas diverge).</summary>
    DivergentReplica,

    /// <summary>The host sends a Ready's messages before it persists the entries and hard state (votes and acks promise what a crash can undo).</summary>
    SendBeforePersist,

    /// <summary>With <see cref="SimulationOptions.ReadIndexReads"/>, a node answers a get from its own state at once, with no ReadIndex round (stale reads).</summary>
    ReadWithoutQuorum,
}
