using Cairn.Simulation.World;

namespace Cairn.Simulation.Tests;

/// <summary>
/// The random runs with <see cref="SimulationOptions.Reconfiguration"/> really reconfigure: across a handful of
/// seeds, nodes are added and promoted and lagging followers install snapshots, with every checker on.
/// </summary>
public class ReconfigurationNemesisTests
{
    [Fact]
    public void Random_runs_with_reconfiguration_add_nodes_and_install_snapshots_and_stay_correct()
    {
        var added = 0;
        var installs = 0;
        for (var seed = 1; seed <= 12; seed++)
        {
            var options = SimulationOptions.ForSeed(seed) with { Reconfiguration = true, MinNemesisInterval = 20_000, MaxNemesisInterval = 120_000 };
            var world = new SimulatedWorld(seed, options);
            var nemesis = new Nemesis(world);
            try
            {
                world.StartClients();
                nemesis.Start();
                world.RunFor(options.FaultWindow);
                world.StopClients();
                nemesis.StopAndHeal();
                SimulationRun.Verify(world);
            }
            catch (Exception e) when (e is not SimulationFailedException)
            {
                throw new SimulationFailedException(SimulationRun.Describe(world, e), e);
            }

            added += world.Nodes.Count - options.Nodes;
            installs += world.Nodes.Sum(n => n.SnapshotsInstalled);
        }

        Assert.True(added > 0, "no run added a node");
        Assert.True(installs > 0, "no follower installed a snapshot");
    }
}
