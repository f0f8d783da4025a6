namespace Cairn.Rpc.Connection;

/// <summary>
/// Exponential backoff with jitter between reconnect attempts: the delay doubles per consecutive failure up to a
/// cap, and each delay is drawn from [½d, d] so nodes that lost a peer together do not all redial in step.
/// The <see cref="Random"/> is injected so tests and the simulator get the same delays from the same seed.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Random random)
{
    private int _failures;

    public int Failures => _failures;

    /// <summary>Records a failed attempt and returns how long to wait before the next.</summary>
    public TimeSpan Failed()
    {
        _failures++;
        var exponent = Math.Min(_failures - 1, 30);
        var ceiling = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (random.NextDouble() * 0.5)));
    }

    public void Succeeded() => _failures = 0;
}
