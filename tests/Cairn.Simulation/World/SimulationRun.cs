using System.Text;
using Cairn.Raft;
using Cairn.Simulation.Checking;
using Cairn.Simulation.Kv;

namespace Cairn.Simulation.World;

/// <summary>
/// One seed, start to finish: clients run while the nemesis injects faults; then the faults stop, the network heals,
/// every node restarts, and the cluster must finish pending work and converge. After that: every acknowledged write
/// is in the committed log, every running replica has applied the same log to the same state, and the history is
/// linearizable. Raft's invariants are checked after every event along the way.
/// </summary>
public static class SimulationRun
{
    /// <summary>The test that runs CI seeds, for the replay command a failure prints.</summary>
    public const string ReplayFilter = "FullyQualifiedName~Cairn.Simulation.Tests.SeedTests";

    public static SimulationReport Execute(int seed, SimulationOptions? options = null)
    {
        options ??= SimulationOptions.ForSeed(seed);
        var world = new SimulatedWorld(seed, options);
        try
        {
            return Run(world);
        }
        catch (Exception e) when (e is not SimulationFailedException)
        {
            throw new SimulationFailedException(Describe(world, e), e);
        }
    }

    /// <summary>The failure message: what broke, the seed, the replay command, and the last events.</summary>
    public static string Describe(SimulatedWorld world, Exception failure)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(failure);
        var text = new StringBuilder();
        text.AppendLine($"Simulation seed {world.Seed} failed at virtual time {world.Now / 1000.0:F3} ms after {world.EventsRun} events: {failure.Message}");
        text.AppendLine($"Replay: dotnet test tests/Cairn.Simulation --filter \"{ReplayFilter}\" -e CAIRN_SEED={world.Seed}");
        text.AppendLine($"Options: {world.Options}");
        text.AppendLine("Nodes: " + string.Join("; ", world.Nodes.Select(n =>
            $"{n.Id} {n.Status} {(n.Raft is { } r ? $"{r.Role} term {r.Term} commit {r.CommitIndex} last {r.LastIndex}" : "")} applied {n.Machine.AppliedIndex}")));
        text.AppendLine("Last events:");
        foreach (var line in world.Trace.Tail())
        {
            text.Append("  ").AppendLine(line);
        }

        return text.ToString();
    }

    private static SimulationReport Run(SimulatedWorld world)
    {
        var options = world.Options;
        var nemesis = new Nemesis(world);
        world.StartClients();
        if (options.Nemesis)
        {
            nemesis.Start();
        }

        world.RunFor(options.FaultWindow);
        world.StopClients();
        if (options.Nemesis)
        {
            nemesis.StopAndHeal();
        }

        var linearizability = Verify(world);

        return new SimulationReport(
            world.Seed,
            options,
            world.EventsRun,
            world.Trace.Hash,
            world.History.Operations.Count,
            world.History.Completed,
            world.Invariants.CommittedIndex,
            world.Invariants.TermsWithLeader,
            nemesis.Actions,
            linearizability.Inconclusive ? linearizability.Explanation : "linearizable");
    }

    /// <summary>
    /// The end-of-run checks, once faults have stopped: the cluster settles (liveness), every acknowledged operation
    /// is in the committed log, and the history is linearizable. Throws <see cref="InvariantViolationException"/>.
    /// </summary>
    public static LinearizabilityResult Verify(SimulatedWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        world.StopClients();
        Settle(world);
        CheckAcknowledgedWritesCommitted(world);
        var linearizability = LinearizabilityChecker.Check(world.History.Operations);
        if (!linearizability.IsLinearizable)
        {
            throw new InvariantViolationException($"linearizability: {linearizability.Explanation}");
        }

        return linearizability;
    }

    /// <summary>
    /// Liveness once faults stop: clients finish (or abandon) their operations, a leader emerges, and every running
    /// node applies the leader's whole log.
    /// </summary>
    private static void Settle(SimulatedWorld world)
    {
        var settled = world.RunUntil(
            () => world.Clients.All(c => c.Idle) && Converged(world),
            world.Options.SettleTimeout);
        if (!settled)
        {
            throw new InvariantViolationException(
                $"liveness: {world.Options.SettleTimeout / 1000} ms after the faults stopped the cluster has not converged "
                + $"(leader: {world.Leader?.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, idle clients: {world.Clients.Count(c => c.Idle)}/{world.Clients.Count})");
        }
    }

    private static bool Converged(SimulatedWorld world)
    {
        if (world.Leader is not { } leader)
        {
            return false;
        }

        // Members only: a node removed from the group no longer hears from it.
        var raft = leader.Raft!;
        var members = raft.ConfState;
        var running = world.Nodes.Where(n => n.Status == NodeStatus.Up && members.Contains(n.Id)).ToList();
        return running.Count(n => members.IsVoter(n.Id)) >= members.Quorum
            && raft.CommitIndex == raft.LastIndex
            && running.All(n => n.Machine.AppliedIndex == raft.CommitIndex);
    }

    /// <summary>Every operation a client saw succeed is in the leader's committed log (reading it back from disk).</summary>
    private static void CheckAcknowledgedWritesCommitted(SimulatedWorld world)
    {
        var leader = world.Leader ?? throw new InvariantViolationException("no leader after settling");
        var committed = leader.Raft!.CommitIndex;

        // Read the log back from a disk nobody flipped a bit on (a corrupted one would refuse, rightly), and the least
        // compacted one: what a snapshot covers is checked against where each operation took effect instead.
        var reader = world.Nodes
            .Where(n => n.Status == NodeStatus.Up && !n.BitFlipped && n.Mirror.LastIndex >= committed)
            .OrderBy(n => n.Log!.FirstIndex)
            .FirstOrDefault() ?? leader;
        var log = reader.Log!;
        var first = log.FirstIndex;
        if (leader.Mirror.PrefixAt(world.Invariants.CommittedIndex) != world.Invariants.CommittedPrefixAt(world.Invariants.CommittedIndex))
        {
            throw new InvariantViolationException($"the final leader {leader.Id}'s log differs from the committed log");
        }

        var inLog = new HashSet<long>();
        foreach (var entry in log.Entries(first, committed + 1))
        {
            if (entry.Type == EntryType.Normal && !entry.Data.IsEmpty)
            {
                inLog.Add(KvCommand.Decode(entry.Data.Span).OpId);
            }
        }

        foreach (var operation in world.History.Operations)
        {
            var readWithoutLog = world.Options.ReadIndexReads && operation.Command.Kind == KvOpKind.Get;
            var compactedAway = world.Convergence.TookEffectAt(operation.Command.OpId) is { } at && at < first;
            if (operation.Return is not null && !readWithoutLog && !inLog.Contains(operation.Command.OpId) && !compactedAway)
            {
                throw new InvariantViolationException($"acknowledged operation lost: {operation} is not in the committed log (read from node {reader.Id})");
            }
        }
    }
}
