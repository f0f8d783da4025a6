using Cairn.Simulation.World;

namespace Cairn.Simulation.Tests;

/// <summary>A seed is a complete description of a run: running it twice gives the same trace, event for event.</summary>
public class DeterminismTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(42)]
    public void The_same_seed_twice_yields_the_same_event_trace(int seed)
    {
        var options = SimulationOptions.ForSeed(seed) with { BitFlips = true, DiskFull = true, DropRate = 0.05, DuplicateRate = 0.05 };
        var first = SimulationRun.Execute(seed, options);
        var second = SimulationRun.Execute(seed, options);

        Assert.Equal(first.Events, second.Events);
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Operations, second.Operations);
    }

    [Fact]
    public void Different_seeds_yield_different_traces()
    {
        var options = SimulationOptions.ForSeed(1);
        Assert.NotEqual(SimulationRun.Execute(1, options).TraceHash, SimulationRun.Execute(2, options).TraceHash);
    }
}
