namespace Cairn.Simulation.World;

/// <summary>What one run did, for the test output and for comparing two runs of a seed.</summary>
public sealed record SimulationReport(
    int Seed,
    SimulationOptions Options,
    long Events,
    ulong TraceHash,
    int Operations,
    int Completed,
    ulong CommittedIndex,
    int TermsWithLeader,
    int NemesisActions,
    string Linearizability)
{
    public override string ToString() =>
        $"seed {Seed}: {Options.Nodes} nodes, {Events} events, {Operations} ops ({Completed} returned), {CommittedIndex} entries committed, "
        + $"{TermsWithLeader} terms with a leader, {NemesisActions} nemesis actions, {Linearizability}, trace {TraceHash:x16}";
}
