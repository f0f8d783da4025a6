using Cairn.Simulation.World;
using Xunit.Abstractions;

namespace Cairn.Simulation.Tests;

/// <summary>
/// The checkers must be able to fail: with a deliberate host bug planted, some seed of the CI profile must fail,
/// and fail for the right reason.
/// </summary>
public class CheckerSensitivityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(Sabotage.AnswerOnPropose, "acknowledged operation lost|linearizability")]
    [InlineData(Sabotage.SkipDeduplication, "linearizability|replicas diverged")]
    [InlineData(Sabotage.DivergentReplica, "replicas diverged")]
    public void A_planted_bug_is_caught(Sabotage sabotage, string expected)
    {
        for (var seed = 1; seed <= 60; seed++)
        {
            var options = SimulationOptions.ForSeed(seed) with { Sabotage = sabotage };
            try
            {
                SimulationRun.Execute(seed, options);
            }
            catch (SimulationFailedException e)
            {
                output.WriteLine(e.Message);
                Assert.Matches(expected, e.Message);
                Assert.Contains($"CAIRN_SEED={seed}", e.Message, StringComparison.Ordinal);
                return;
            }
        }

        Assert.Fail($"{sabotage}: no seed in 1..60 caught the planted bug");
    }
}
