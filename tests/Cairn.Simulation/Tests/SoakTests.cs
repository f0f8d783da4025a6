using Cairn.Simulation.World;
using Xunit.Abstractions;

namespace Cairn.Simulation.Tests;

/// <summary>
/// The long profile: longer runs, bigger clusters, every fault including full disks and bit flips, over as many
/// seeds as <c>CAIRN_SIM_SEEDS</c> says. Every failing seed is collected and printed with its replay command.
/// </summary>
public class SoakTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 1000;

    /// <summary>The soak configuration of a seed (replay a soak failure with the same options).</summary>
    public static SimulationOptions Options(int seed) => SimulationOptions.ForSeed(seed) with
    {
        Nodes = seed % 2 == 0 ? 5 : 3,
        FaultWindow = 20_000_000,
        SettleTimeout = 10_000_000,
        Clients = 8,
        DiskFull = true,
        BitFlips = true,
    };

    [SoakFact]
    [Trait("Category", "Soak")]
    public void Long_runs_keep_every_invariant()
    {
        var failures = new List<string>();
        var seeds = SeedProfile.Seeds(DefaultSeeds);
        foreach (var seed in seeds)
        {
            try
            {
                output.WriteLine(SimulationRun.Execute(seed, Options(seed)).ToString());
            }
            catch (SimulationFailedException e)
            {
                var replay = e.Message.Replace(SimulationRun.ReplayFilter, "FullyQualifiedName~Cairn.Simulation.Tests.SoakTests", StringComparison.Ordinal)
                    .Replace("CAIRN_SEED=", "CAIRN_SIM_SOAK=1 -e CAIRN_SEED=", StringComparison.Ordinal);
                output.WriteLine(replay);
                failures.Add(replay);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {seeds.Count} seeds failed:\n{string.Join("\n", failures)}");
    }
}
