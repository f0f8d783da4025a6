using Cairn.Simulation.World;
using Xunit.Abstractions;

namespace Cairn.Simulation.Tests;

/// <summary>
/// The CI profile: a few hundred seeds, each a short run with every fault on and a configuration picked by the seed.
/// A failure prints its seed, the command that replays it, and the last events.
/// </summary>
public class SeedTests(ITestOutputHelper output)
{
    public static TheoryData<int> CiSeeds() => [.. SeedProfile.Seeds(SeedProfile.CiSeeds)];

    [Theory]
    [MemberData(nameof(CiSeeds))]
    public void Seed_keeps_every_invariant(int seed)
    {
        var report = SimulationRun.Execute(seed);
        output.WriteLine(report.ToString());
    }
}
