using System.Globalization;

namespace Cairn.Simulation.Tests;

/// <summary>
/// Which seeds a run covers: <c>CAIRN_SEED=x</c> replays exactly one; otherwise <c>CAIRN_SIM_SEEDS=n</c> (default
/// per profile) seeds starting at <c>CAIRN_SIM_SEED_BASE=s</c> (default 1).
/// </summary>
public static class SeedProfile
{
    public const int CiSeeds = 300;

    public static IReadOnlyList<int> Seeds(int defaultCount)
    {
        if (Read("CAIRN_SEED") is { } only)
        {
            return [only];
        }

        var count = Read("CAIRN_SIM_SEEDS") ?? defaultCount;
        var first = Read("CAIRN_SIM_SEED_BASE") ?? 1;
        return Enumerable.Range(first, count).ToArray();
    }

    private static int? Read(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;
}
