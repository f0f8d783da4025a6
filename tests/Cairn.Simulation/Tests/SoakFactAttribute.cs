namespace Cairn.Simulation.Tests;

/// <summary>
/// A fact for the long simulation profile: skipped unless <c>CAIRN_SIM_SOAK=1</c>, so CI stays fast. Tests carrying
/// it also carry <c>[Trait("Category", "Soak")]</c>, so <c>--filter Category=Soak</c> selects them.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SoakFactAttribute : FactAttribute
{
    public SoakFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CAIRN_SIM_SOAK") is not ("1" or "true"))
        {
            Skip = "soak profile: set CAIRN_SIM_SOAK=1 (and CAIRN_SIM_SEEDS / CAIRN_SIM_SEED_BASE) to run it";
        }
    }
}
