using Cairn.Simulation.World;
using Xunit.Abstractions;

namespace Cairn.Simulation.Tests;

/// <summary>
/// The checkers must be able to fail: with a deliberate host bug planted, some seed of the CI profile must fail,
/// and fail for the right reason.
/// </summary>
public class CheckerSensitivityTests(ITestOutputHelper output)
{
    private const int Seeds = 100;

    [Theory]
    [InlineData(Sabotage.AnswerOnPropose, "acknowledged operation lost|linearizability")]
    [InlineData(Sabotage.SkipDeduplication, "exactly once")]
    [InlineData(Sabotage.DivergentReplica, "replicas diverged")]
    [InlineData(Sabotage.SendBeforePersist, "election safety|log matching|leader completeness|state machine safety|acknowledged operation lost|linearizability|diverged|Cannot commit")]
    public void A_planted_bug_is_caught(Sabotage sabotage, string expected)
    {
        for (var seed = 1; seed <= Seeds; seed++)
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

        Assert.Fail($"{sabotage}: no seed in 1..{Seeds} caught the planted bug");
    }
}
