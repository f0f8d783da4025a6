namespace Cairn.Core;

/// <summary>
/// Thrown when input exceeds one of Cairn's limits. The message names the limit, the size seen and the maximum,
/// so the caller knows what to change.
/// </summary>
public sealed class LimitExceededException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="what"/> of <paramref name="actual"/> against <paramref name="maximum"/>, counted in <paramref name="unit"/>.</summary>
    public LimitExceededException(string what, long actual, long maximum, string unit = "bytes")
        : base($"{what} is {actual} {unit}; the limit is {maximum} {unit}.")
    {
        What = what;
        Actual = actual;
        Maximum = maximum;
    }

    /// <summary>What exceeded the limit, e.g. "key" or "value".</summary>
    public string What { get; }

    /// <summary>The size or count seen.</summary>
    public long Actual { get; }

    /// <summary>The limit in force.</summary>
    public long Maximum { get; }

    /// <summary>Throws when <paramref name="actual"/> is above <paramref name="maximum"/>, counted in <paramref name="unit"/>.</summary>
    public static void ThrowIfAbove(string what, long actual, long maximum, string unit = "bytes")
    {
        if (actual > maximum)
        {
            throw new LimitExceededException(what, actual, maximum, unit);
        }
    }
}
